DROP TRIGGER face_results_facts ON face_results;
DROP FUNCTION record_face_result_facts();
DROP TABLE user_face_days;
DROP TABLE user_face_seen;
DROP TABLE user_face_counts;
