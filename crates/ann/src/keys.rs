//! The map between item ids and usearch's `u64` keys, and its snapshot file.
//!
//! A key is `seq << 8 | tag`: `seq` counts the vectors ever added (an upsert takes a fresh one),
//! so a tag filter needs no lookup inside the graph walk and a stale key never names a live item.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use uuid::Uuid;

use crate::AnnError;

/// The live items' keys, both ways.
#[derive(Debug, Default)]
pub(crate) struct KeyMap {
    by_id: HashMap<Uuid, u64>,
    by_key: HashMap<u64, Uuid>,
    next_seq: u64,
}

/// The largest `seq` a key can hold.
const MAX_SEQ: u64 = u64::MAX >> 9;

/// The tag a key carries.
pub(crate) fn tag_of(key: u64) -> u8 {
    (key & 0xff) as u8
}

impl KeyMap {
    /// A fresh key for a vector with `tag`, not yet bound to any id.
    pub(crate) fn allocate(&mut self, tag: u8) -> Result<u64, AnnError> {
        if self.next_seq >= MAX_SEQ {
            return Err(AnnError::Usearch("the key space is spent".to_owned()));
        }
        self.next_seq += 1;
        Ok(self.next_seq << 8 | u64::from(tag))
    }

    /// Binds `id` to `key`; gives the key it had before, whose vector is now stale.
    pub(crate) fn bind(&mut self, id: Uuid, key: u64) -> Option<u64> {
        let old = self.by_id.insert(id, key);
        if let Some(old) = old {
            self.by_key.remove(&old);
        }
        self.by_key.insert(key, id);
        old
    }

    /// Unbinds `id`; gives its key.
    pub(crate) fn unbind(&mut self, id: &Uuid) -> Option<u64> {
        let key = self.by_id.remove(id)?;
        self.by_key.remove(&key);
        Some(key)
    }

    /// The live key of `id`.
    pub(crate) fn key(&self, id: &Uuid) -> Option<u64> {
        self.by_id.get(id).copied()
    }

    /// The id a key is bound to, if the key is live.
    pub(crate) fn id(&self, key: u64) -> Option<Uuid> {
        self.by_key.get(&key).copied()
    }

    /// The number of live items.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// The live keys, in no order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_key.keys().copied()
    }

    /// Writes the map to `path`: a header, the entries, and an FNV-1a checksum of all of it.
    pub(crate) fn save(&self, path: &Path, dim: usize) -> Result<(), AnnError> {
        let io = AnnError::io;
        let file = std::fs::File::create(path).map_err(io(path))?;
        let mut out = Checksummed::new(BufWriter::new(file));
        out.put(MAGIC);
        out.put(&(dim as u64).to_le_bytes());
        out.put(&self.next_seq.to_le_bytes());
        out.put(&(self.by_id.len() as u64).to_le_bytes());
        for (id, key) in &self.by_id {
            out.put(id.as_bytes());
            out.put(&key.to_le_bytes());
        }
        let sum = out.sum;
        out.put(&sum.to_le_bytes());
        let (mut inner, failed) = (out.inner, out.failed);
        if let Some(e) = failed {
            return Err(io(path)(e));
        }
        inner.flush().map_err(io(path))?;
        let file = inner.into_inner().map_err(|e| io(path)(e.into_error()))?;
        file.sync_all().map_err(io(path))
    }

    /// Reads a map that [`KeyMap::save`] wrote for `dim`-long vectors.
    pub(crate) fn load(path: &Path, dim: usize) -> Result<Self, AnnError> {
        let file = std::fs::File::open(path).map_err(AnnError::io(path))?;
        let mut input = Reader {
            inner: BufReader::new(file),
            sum: FNV_OFFSET,
            path,
        };
        let mut magic = [0u8; 8];
        input.fill(&mut magic)?;
        if &magic != MAGIC {
            return Err(AnnError::snapshot(path, "not a moji-ann key map"));
        }
        let stored_dim = input.u64()?;
        if stored_dim != dim as u64 {
            return Err(AnnError::snapshot(
                path,
                format!("written for {stored_dim}-d vectors, not {dim}"),
            ));
        }
        let next_seq = input.u64()?;
        let count = input.u64()?;
        let count = usize::try_from(count)
            .map_err(|_| AnnError::snapshot(path, "entry count too large"))?;
        let mut map = KeyMap {
            by_id: HashMap::with_capacity(count.min(1 << 24)),
            by_key: HashMap::with_capacity(count.min(1 << 24)),
            next_seq,
        };
        for _ in 0..count {
            let mut id = [0u8; 16];
            input.fill(&mut id)?;
            let key = input.u64()?;
            if key >> 8 > next_seq
                || map.bind(Uuid::from_bytes(id), key).is_some()
                || map.by_key.len() != map.by_id.len()
            {
                return Err(AnnError::snapshot(path, "duplicate or impossible entry"));
            }
        }
        let expected = input.sum;
        let stored = input.u64()?;
        if stored != expected {
            return Err(AnnError::snapshot(path, "checksum mismatch"));
        }
        let mut rest = [0u8; 1];
        if input.inner.read(&mut rest).map_err(AnnError::io(path))? != 0 {
            return Err(AnnError::snapshot(path, "trailing bytes"));
        }
        Ok(map)
    }
}

const MAGIC: &[u8; 8] = b"MOJIANN\x01";
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(mut sum: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        sum = (sum ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    sum
}

/// A writer that checksums what it writes and keeps the first error.
struct Checksummed<W: Write> {
    inner: W,
    sum: u64,
    failed: Option<std::io::Error>,
}

impl<W: Write> Checksummed<W> {
    fn new(inner: W) -> Self {
        Checksummed {
            inner,
            sum: FNV_OFFSET,
            failed: None,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.sum = fnv(self.sum, bytes);
            if let Err(e) = self.inner.write_all(bytes) {
                self.failed = Some(e);
            }
        }
    }
}

/// A reader that checksums what it reads.
struct Reader<'p, R: Read> {
    inner: R,
    sum: u64,
    path: &'p Path,
}

impl<R: Read> Reader<'_, R> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), AnnError> {
        self.inner.read_exact(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                AnnError::snapshot(self.path, "truncated")
            } else {
                AnnError::io(self.path)(e)
            }
        })?;
        self.sum = fnv(self.sum, buf);
        Ok(())
    }

    fn u64(&mut self) -> Result<u64, AnnError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_their_tag_and_are_never_reused() {
        let mut map = KeyMap::default();
        let id = Uuid::from_u128(7);
        let a = map.allocate(3).unwrap();
        assert_eq!(tag_of(a), 3);
        assert_eq!(map.bind(id, a), None);
        let b = map.allocate(250).unwrap();
        assert_ne!(a, b);
        assert_eq!(tag_of(b), 250);
        assert_eq!(map.bind(id, b), Some(a));
        assert_eq!(map.id(a), None, "the replaced key names nobody");
        assert_eq!(map.id(b), Some(id));
        assert_eq!(map.unbind(&id), Some(b));
        assert_eq!(map.id(b), None);
        assert_eq!(map.len(), 0);
    }

    #[test]
    fn save_and_load_round_trip_and_reject_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.bin");
        let mut map = KeyMap::default();
        for i in 0..100u128 {
            let key = map.allocate((i % 4) as u8).unwrap();
            map.bind(Uuid::from_u128(i), key);
        }
        map.unbind(&Uuid::from_u128(5));
        map.save(&path, 384).unwrap();
        let back = KeyMap::load(&path, 384).unwrap();
        assert_eq!(back.len(), 99);
        assert_eq!(back.next_seq, map.next_seq);
        for i in 0..100u128 {
            let id = Uuid::from_u128(i);
            assert_eq!(back.key(&id), map.key(&id));
        }
        assert!(matches!(
            KeyMap::load(&path, 128),
            Err(AnnError::Snapshot { .. })
        ));

        let mut bytes = std::fs::read(&path).unwrap();
        bytes[40] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            KeyMap::load(&path, 384),
            Err(AnnError::Snapshot { .. })
        ));
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(matches!(
            KeyMap::load(&path, 384),
            Err(AnnError::Snapshot { .. })
        ));
    }
}
