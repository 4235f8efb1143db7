//! The catalogue as the worker holds it: the places from PostgreSQL with the embeddings of
//! their descriptions (English and Korean), loaded once per replica on first use.

use std::collections::HashMap;

use moji_places::{OpeningHours, Place};

use crate::state::RecState;

/// Places and, per place, the vectors of its English and Korean descriptions.
#[derive(Debug)]
pub struct PlaceBook {
    /// Every place, in catalogue order (most popular first).
    pub places: Vec<Place>,
    /// `[english, korean]` description vectors, by place index.
    pub vectors: Vec<[Vec<f32>; 2]>,
    /// Place id → index.
    positions: HashMap<String, usize>,
}

impl PlaceBook {
    /// Reads the places and embeds their descriptions.
    pub async fn load(state: &RecState) -> anyhow::Result<Self> {
        let rows = state.db.run(moji_db::places::all_places).await?;
        let places = rows
            .into_iter()
            .map(place)
            .collect::<anyhow::Result<Vec<Place>>>()?;
        if places.is_empty() {
            anyhow::bail!("the places table is empty: run the migrations");
        }
        let texts: Vec<String> = places
            .iter()
            .flat_map(|p| {
                [
                    format!("{}. {}", p.name_en, p.description_en),
                    format!("{}. {}", p.name_ko, p.description_ko),
                ]
            })
            .collect();
        let mut flat = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(64) {
            flat.extend(state.embed.embed(chunk.to_vec()).await?);
        }
        let mut pairs = flat.into_iter();
        let vectors = places
            .iter()
            .map(|_| {
                [
                    pairs.next().unwrap_or_default(),
                    pairs.next().unwrap_or_default(),
                ]
            })
            .collect();
        tracing::info!(places = places.len(), "date-course places loaded");
        let positions = places
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        Ok(PlaceBook {
            places,
            vectors,
            positions,
        })
    }

    /// How well `place` fits the mood's vector: the better of its two descriptions (0 for a
    /// place not in the book).
    pub fn relevance(&self, place: &Place, mood: &[f32]) -> f32 {
        self.positions
            .get(&place.id)
            .and_then(|&i| self.vectors.get(i))
            .map_or(0.0, |[en, ko]| dot(en, mood).max(dot(ko, mood)))
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A row of the places table as a [`Place`].
fn place(row: moji_db::places::PlaceRow) -> anyhow::Result<Place> {
    let bad = |what: &str| anyhow::anyhow!("place {}: bad {what}", row.id);
    Ok(Place {
        region: row.region.parse().map_err(|_| bad("region"))?,
        category: row.category.parse().map_err(|_| bad("category"))?,
        seasons: row
            .seasons
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("season"))?,
        hours: OpeningHours::parse(&row.open_time, &row.close_time).map_err(|_| bad("hours"))?,
        price_level: u8::try_from(row.price_level).map_err(|_| bad("price level"))?,
        stay_minutes: u32::try_from(row.stay_minutes).map_err(|_| bad("stay"))?,
        id: row.id,
        name_ko: row.name_ko,
        name_en: row.name_en,
        lat: row.lat,
        lng: row.lng,
        indoor: row.indoor,
        description_en: row.description_en,
        description_ko: row.description_ko,
    })
}
