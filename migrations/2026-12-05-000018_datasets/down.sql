DROP TABLE local_payments;
DROP TABLE dataset_orders;
DROP TABLE dataset_quota;
DROP TABLE datasets;
DROP FUNCTION datasets_search();
