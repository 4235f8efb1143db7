//! Enum-valued query parameters: an unknown value is a 422 naming the parameter and the
//! accepted values, not a generic 400 and never silently ignored.

use std::str::FromStr;

use moji_common::UnknownName;
use moji_telemetry::FieldError;

use crate::error::{ApiError, ApiResult};

/// Parses an optional `?field=` value into one of an enum's names.
pub fn choice<T>(field: &str, raw: Option<&str>) -> ApiResult<Option<T>>
where
    T: FromStr<Err = UnknownName>,
{
    raw.map(|value| {
        value.parse::<T>().map_err(|e| {
            ApiError::Validation(vec![FieldError::new(
                field,
                format!("must be one of: {}", e.expected),
            )])
        })
    })
    .transpose()
}

/// For `#[serde(default, deserialize_with = ...)]` on an `Option<Option<T>>` field: tells an
/// absent field (`None`, keep) from an explicit `null` (`Some(None)`, remove).
pub fn explicit_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Some(<Option<T> as serde::Deserialize>::deserialize(d)?))
}

#[cfg(test)]
mod tests {
    use moji_common::Period;

    use super::*;

    #[test]
    fn unknown_values_are_422_with_the_field() {
        assert_eq!(
            choice::<Period>("period", Some("week")).unwrap(),
            Some(Period::Week)
        );
        assert_eq!(choice::<Period>("period", None).unwrap(), None);
        match choice::<Period>("period", Some("year")) {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors[0].field, "period");
                assert!(errors[0].message.contains("week, month, all"));
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
