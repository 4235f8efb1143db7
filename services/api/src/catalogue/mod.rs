//! The catalogue: emoji templates to pick from and the twelve zodiac animals.

use actix_web::{get, web, HttpResponse};
use moji_common::{Expression, TemplateId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::Text;

/// An emoji template (style) people can pick when they upload.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateInfo {
    /// Id to send as `template` when creating an emoji task.
    pub id: TemplateId,
    /// Display name.
    pub name: Text,
    /// One-sentence description.
    pub description: Text,
    /// Expressions the template has a face for (all seven), in the model's order.
    pub preview: Vec<Expression>,
}

/// Every template, default first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateList {
    /// Templates.
    pub items: Vec<TemplateInfo>,
}

/// One of the twelve zodiac animals.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalInfo {
    /// Id (`rat` … `pig`).
    #[schema(example = "tiger")]
    pub id: String,
    /// Display name.
    pub name: Text,
    /// Matching emoji character.
    #[schema(example = "🐯")]
    pub emoji: String,
    /// The animal's traditional character.
    pub traits: Text,
}

/// The twelve animals in traditional order (rat first).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalList {
    /// Animals.
    pub items: Vec<AnimalInfo>,
}

/// Every emoji template.
pub fn templates() -> TemplateList {
    TemplateList {
        items: moji_catalog::templates()
            .iter()
            .map(|t| TemplateInfo {
                id: t.id,
                name: t.name.into(),
                description: t.description.into(),
                preview: Expression::ALL.to_vec(),
            })
            .collect(),
    }
}

/// The twelve zodiac animals.
pub fn animals() -> AnimalList {
    AnimalList {
        items: moji_catalog::animals()
            .iter()
            .map(|a| AnimalInfo {
                id: a.id.as_str().to_owned(),
                name: a.name.into(),
                emoji: a.emoji.to_owned(),
                traits: a.traits.into(),
            })
            .collect(),
    }
}

/// Emoji templates to pick from when uploading.
#[utoipa::path(
    get, path = "/api/v1/emoji-templates", tag = "gallery",
    responses((status = 200, body = TemplateList))
)]
#[get("/emoji-templates")]
pub async fn emoji_templates() -> HttpResponse {
    HttpResponse::Ok().json(templates())
}

/// The twelve zodiac animals with their traits.
#[utoipa::path(
    get, path = "/api/v1/zodiac/animals", tag = "zodiac",
    responses((status = 200, body = AnimalList))
)]
#[get("/zodiac/animals")]
pub async fn zodiac_animals() -> HttpResponse {
    HttpResponse::Ok().json(animals())
}

/// Registers the catalogue routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(emoji_templates).service(zodiac_animals);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(emoji_templates, zodiac_animals),
    components(schemas(Text, TemplateInfo, TemplateList, AnimalInfo, AnimalList))
)]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_lists() {
        assert_eq!(animals().items.len(), 12);
        let t = templates();
        assert_eq!(t.items[0].id, TemplateId::DEFAULT);
        assert!(t.items.iter().all(|i| i.preview.len() == 7));
    }
}
