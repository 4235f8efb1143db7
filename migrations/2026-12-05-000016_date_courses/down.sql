DROP TABLE date_courses;
DROP TABLE course_quota;
DROP TABLE course_tasks;
