use super::*;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn options(url: &str, collection: &str, dim: usize) -> MilvusOptions {
    MilvusOptions {
        url: url.to_owned(),
        collection: collection.to_owned(),
        dim,
    }
}

/// What Milvus 2.3.5 answers to `collections/describe` for a REST v1 quick-schema collection.
fn described(dim: usize, metric: &str, dynamic: bool) -> Value {
    json!({
        "collectionName": "c", "description": "", "enableDynamicField": dynamic,
        "fields": [
            {"autoId": true, "description": "", "name": "id", "primaryKey": true, "type": "Int64"},
            {"autoId": false, "description": "", "name": "vector", "primaryKey": false,
             "type": format!("FloatVector({dim})")}
        ],
        "indexes": [{"fieldName": "vector", "indexName": "vector_idx", "metricType": metric}],
        "load": "LoadStateLoaded", "shardsNum": 1
    })
}

#[test]
fn options_are_checked() {
    assert_eq!(
        validate(&options(" http://h:19530/ ", "c_1", 4)).unwrap(),
        "http://h:19530"
    );
    assert_eq!(
        validate(&options("https://h", "_c", 384)).unwrap(),
        "https://h"
    );
    for (url, name, dim) in [
        ("h:19530", "c", 4),
        ("http://", "c", 4),
        ("ftp://h", "c", 4),
        ("http://h", "", 4),
        ("http://h", "1c", 4),
        ("http://h", "c-d", 4),
        ("http://h", "c\"", 4),
        ("http://h", "c", 0),
        ("http://h", "c", MAX_DIM + 1),
    ] {
        assert!(
            matches!(
                validate(&options(url, name, dim)),
                Err(MilvusError::Options(_))
            ),
            "{url} {name} {dim}"
        );
    }
    assert!(validate(&options("http://h", &"c".repeat(256), 4)).is_err());
}

#[test]
fn only_a_quick_schema_cosine_collection_of_the_right_dim_is_accepted() {
    assert_eq!(check_schema(&described(384, "COSINE", true), 384), Ok(()));
    assert!(check_schema(&described(128, "COSINE", true), 384)
        .unwrap_err()
        .contains("FloatVector(128)"));
    assert!(check_schema(&described(384, "L2", true), 384)
        .unwrap_err()
        .contains("L2"));
    assert!(check_schema(&described(384, "COSINE", false), 384)
        .unwrap_err()
        .contains("dynamic"));
    let mut varchar_pk = described(384, "COSINE", true);
    varchar_pk["fields"][0]["type"] = json!("VarChar(64)");
    assert!(check_schema(&varchar_pk, 384)
        .unwrap_err()
        .contains("primary key"));
    let mut no_index = described(384, "COSINE", true);
    no_index["indexes"] = json!([]);
    assert!(check_schema(&no_index, 384)
        .unwrap_err()
        .contains("no index"));
}

#[test]
fn expressions() {
    assert_eq!(search_expr(None, &HashSet::new()), "");
    assert_eq!(search_expr(Some(3), &HashSet::new()), "tag == 3");
    let exclude = HashSet::from([id(2), id(1)]);
    assert_eq!(
        search_expr(Some(0), &exclude),
        "tag == 0 and key not in [\"00000000-0000-0000-0000-000000000001\", \
         \"00000000-0000-0000-0000-000000000002\"]"
    );
    assert_eq!(
        search_expr(None, &HashSet::from([id(1)])),
        "key not in [\"00000000-0000-0000-0000-000000000001\"]"
    );
    assert_eq!(
        key_in(&[id(10)]),
        "key in [\"00000000-0000-0000-0000-00000000000a\"]"
    );
}

#[test]
fn rows_parse_ids_as_strings_and_reject_foreign_rows() {
    let rows = parse_rows(
        SEARCH,
        json!([
            {"distance": 0.5, "id": "470924617751986315", "key": id(1).to_string(), "tag": 1},
            {"id": 7, "key": id(2).to_string(), "tag": 255, "vector": [1.0, 0.25]}
        ]),
    )
    .unwrap();
    assert_eq!(
        rows[0],
        Row {
            pk: 470_924_617_751_986_315,
            key: id(1),
            tag: 1,
            score: Some(0.5),
            vector: None
        }
    );
    assert_eq!(
        rows[1],
        Row {
            pk: 7,
            key: id(2),
            tag: 255,
            score: None,
            vector: Some(vec![1.0, 0.25])
        }
    );
    for bad in [
        json!({"rows": []}),
        json!([{"id": "1", "tag": 1}]),
        json!([{"id": "1", "key": "not-a-uuid", "tag": 1}]),
        json!([{"id": "1", "key": id(1).to_string(), "tag": 256}]),
        json!([{"id": "x", "key": id(1).to_string(), "tag": 1}]),
        json!([{"id": "1", "key": id(1).to_string(), "tag": 1, "vector": "?"}]),
    ] {
        assert!(matches!(
            parse_rows(QUERY, bad),
            Err(MilvusError::Response { .. })
        ));
    }
}

#[test]
fn hits_are_sorted_deduplicated_and_filtered() {
    let row = |pk, key, tag, score| Row {
        pk,
        key: id(key),
        tag,
        score: Some(score),
        vector: None,
    };
    let rows = vec![
        row(1, 1, 0, 0.2),
        row(2, 2, 0, 0.9),
        row(3, 1, 0, 0.7), // a newer row of key 1 between an upsert's insert and delete
        row(4, 3, 1, 0.8),
        row(5, 4, 0, 0.6),
    ];
    let any = best_hits(rows.clone(), 10, &Filter::any());
    let ids: Vec<Uuid> = any.iter().map(|h| h.id).collect();
    assert_eq!(ids, vec![id(2), id(3), id(1), id(4)]);
    assert_eq!(any[2].score, 0.7);
    let exclude = HashSet::from([id(2)]);
    let hits = best_hits(
        rows.clone(),
        2,
        &Filter {
            tag: Some(0),
            exclude: &exclude,
        },
    );
    assert_eq!(
        hits.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![id(1), id(4)]
    );
    assert!(best_hits(rows, 0, &Filter::any()).is_empty());
}

#[test]
fn insert_ids_are_counted() {
    let data = json!({"insertCount": 2, "insertIds": ["470924617751986315", "470924617751986314"]});
    assert_eq!(first_insert_id(&data, 2).unwrap(), 470_924_617_751_986_314);
    assert!(first_insert_id(&data, 3).is_err());
    assert!(first_insert_id(&json!({"insertIds": ["x"]}), 1).is_err());
    assert!(first_insert_id(&json!({}), 1).is_err());
}

#[test]
fn vectors_are_checked_and_errors_map_to_ann_errors() {
    assert!(check_vector(&[0.0, 1.0], 2).is_ok());
    let e = AnnError::from(check_vector(&[1.0], 2).unwrap_err());
    assert!(matches!(
        e,
        AnnError::Dimension {
            expected: 2,
            got: 1
        }
    ));
    let e = AnnError::from(check_vector(&[0.0, 0.0], 2).unwrap_err());
    assert!(matches!(e, AnnError::InvalidVector(_)));
    assert!(check_vector(&[f32::NAN, 1.0], 2).is_err());
    let e = AnnError::from(MilvusError::Server {
        path: SEARCH,
        code: 100,
        message: "gone".into(),
    });
    assert!(matches!(e, AnnError::Backend(_)));
    assert_eq!(
        e.to_string(),
        "index backend: milvus /v1/vector/search: code 100: gone"
    );
}

#[test]
fn a_server_that_is_not_there_is_a_transport_error() {
    // Port 9 (discard) on loopback: nothing listens there in any sane test environment.
    let e = MilvusIndex::connect(options("http://127.0.0.1:9", "c", 4)).unwrap_err();
    assert!(matches!(e, MilvusError::Transport { .. }), "{e}");
}
