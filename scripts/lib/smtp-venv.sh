#!/usr/bin/env bash
# Makes the Python venv with aiosmtpd (PyPI, pinned) that the mail tests start as a real local
# SMTP server (moji_testkit::TestSmtp): .cache/venv-smtp. Once; quick when it is there.
set -euo pipefail
source "$(dirname "$0")/common.sh"

AIOSMTPD_VERSION="1.4.6"
venv="$MOJI_CACHE_DIR/venv-smtp"
if "$venv/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
  exit 0
fi
say "making $venv with aiosmtpd $AIOSMTPD_VERSION"
python3 -m venv --clear "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv --clear "$venv"; }
"$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
