-- Seeds the market SNS benchmark's database (issue 12): :users people, :posts published posts
-- with tags, :likes likes and :follows follows, all set-based (one INSERT per table).
--
--   psql "$URL" -v users=10000 -v posts=100000 -v likes=1000000 -v follows=200000 \
--        -v password_hash='$2b$04$...' -f scripts/bench/social/seed.sql
--
-- Posts are second-hand market listings in Korean (about 80 %) and English: a title and two to
-- six sentences built from the word lists below, about one item in a hundred per post and one
-- region in forty, so a two-syllable Korean query matches about 1 % of posts: '감귤' (an item),
-- '제주' (a region), '자전' (in 자전거), '노트' (in 노트북). The phrases around them never
-- contain those four, so each query's matches are the posts that name that item or region.
-- Authors are skewed (a few people write hundreds of posts, most write a handful), so are the
-- people followed (a few are followed by many) and the likes (Lomax: most posts have a few,
-- some have hundreds); everyone follows between 6 and 34 people (20 on average at the default
-- sizes).
--
-- Only ordinary INSERTs. user_follow_counts (statement-level trigger on follows),
-- user_post_counts (row-level on posts) and the posts' search column (row-level) are kept by
-- the schema's own triggers, as for the api's writes; posts.like_count is written with each
-- post and the like-count trigger is off while the likes go in (see there). Every counter is
-- checked against the rows at the end. The values are pseudo-random but deterministic (hashes
-- of row numbers); ids are UUIDv7 of their time.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
SET work_mem = '64MB';

-- One instant for the whole seed: "now" of the market.
SELECT now() AS anchor \gset

-- A number in [0, 1) from a row number and a salt (deterministic).
CREATE FUNCTION pg_temp.rnd(n bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (hashint8extended(n, salt) & 2147483647)::float8 / 2147483648.0
$$;

-- 1 + floor(rnd * k): a pick among k.
CREATE FUNCTION pg_temp.pick(n bigint, salt bigint, k int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 1 + floor(pg_temp.rnd(n, salt) * k)::int
$$;

-- A UUIDv7 for time `ts` (millisecond prefix, as the api's ids), its random part from `seed`.
CREATE FUNCTION pg_temp.uuid7(ts timestamptz, seed text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM ts) * 1000)::bigint), 12, '0')
            || '7' || substr(md5(seed), 1, 3)
            || to_hex(8 + (get_byte(decode(md5(seed), 'hex'), 15) & 3))
            || substr(md5(seed), 4, 15))::uuid
$$;

-- A step in [1, m) coprime to m: owner + j * step (mod m) for j = 1 .. m - 1 are m - 1
-- different people, never the owner.
CREATE FUNCTION pg_temp.coprime_step(n bigint, m int) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s int := pg_temp.pick(n, 41, greatest(m - 1, 1));
    a int;
    b int;
    t int;
BEGIN
    LOOP
        a := s; b := m;
        WHILE b <> 0 LOOP t := a % b; a := b; b := t; END LOOP;
        EXIT WHEN a = 1;
        s := s % (m - 1) + 1;
    END LOOP;
    RETURN s;
END
$$;

-- Word lists ------------------------------------------------------------------------------

CREATE TEMP TABLE items (idx int PRIMARY KEY, ko text NOT NULL, en text NOT NULL, category text NOT NULL);
INSERT INTO items (idx, ko, en, category) VALUES
    (1, '감귤', 'tangerines', '과일'), (2, '한라봉', 'hallabong oranges', '과일'),
    (3, '천혜향', 'cheonhyehyang oranges', '과일'), (4, '사과', 'apples', '과일'),
    (5, '딸기', 'strawberries', '과일'), (6, '고구마', 'sweet potatoes', '농산물'),
    (7, '감자', 'potatoes', '농산물'), (8, '꿀', 'honey', '식품'), (9, '원두', 'coffee beans', '식품'),
    (10, '녹차', 'green tea', '식품'), (11, '김치', 'kimchi', '식품'), (12, '떡', 'rice cakes', '식품'),
    (13, '자전거', 'bicycle', '스포츠'), (14, '전동킥보드', 'electric scooter', '스포츠'),
    (15, '헬멧', 'helmet', '스포츠'), (16, '골프채', 'golf clubs', '스포츠'),
    (17, '테니스라켓', 'tennis racket', '스포츠'), (18, '요가매트', 'yoga mat', '스포츠'),
    (19, '덤벨', 'dumbbells', '스포츠'), (20, '러닝머신', 'treadmill', '스포츠'),
    (21, '스케이트보드', 'skateboard', '스포츠'), (22, '서핑보드', 'surfboard', '스포츠'),
    (23, '낚싯대', 'fishing rod', '스포츠'), (24, '텐트', 'tent', '캠핑'),
    (25, '캠핑의자', 'camping chair', '캠핑'), (26, '침낭', 'sleeping bag', '캠핑'),
    (27, '아이스박스', 'cooler box', '캠핑'), (28, '랜턴', 'lantern', '캠핑'),
    (29, '노트북', 'laptop', '디지털'), (30, '아이패드', 'iPad', '디지털'),
    (31, '에어팟', 'AirPods', '디지털'), (32, '모니터', 'monitor', '디지털'),
    (33, '키보드', 'keyboard', '디지털'), (34, '마우스', 'mouse', '디지털'),
    (35, '스피커', 'speaker', '디지털'), (36, '헤드폰', 'headphones', '디지털'),
    (37, '카메라', 'camera', '디지털'), (38, '렌즈', 'camera lens', '디지털'),
    (39, '닌텐도 스위치', 'Nintendo Switch', '게임'), (40, '플레이스테이션', 'PlayStation', '게임'),
    (41, '보드게임', 'board game', '게임'), (42, '레고', 'LEGO set', '완구'),
    (43, '인형', 'plush toy', '완구'), (44, '유모차', 'stroller', '육아'),
    (45, '카시트', 'car seat', '육아'), (46, '아기띠', 'baby carrier', '육아'),
    (47, '그림책', 'picture books', '도서'), (48, '동화책', 'storybooks', '도서'),
    (49, '소설책', 'novels', '도서'), (50, '문제집', 'workbooks', '도서'),
    (51, '전기밥솥', 'rice cooker', '가전'), (52, '에어프라이어', 'air fryer', '가전'),
    (53, '커피머신', 'coffee machine', '가전'), (54, '냉장고', 'refrigerator', '가전'),
    (55, '세탁기', 'washing machine', '가전'), (56, '청소기', 'vacuum cleaner', '가전'),
    (57, '가습기', 'humidifier', '가전'), (58, '선풍기', 'electric fan', '가전'),
    (59, '전기난로', 'heater', '가전'), (60, '다리미', 'iron', '가전'),
    (61, '재봉틀', 'sewing machine', '가전'), (62, '책상', 'desk', '가구'),
    (63, '의자', 'chair', '가구'), (64, '소파', 'sofa', '가구'), (65, '식탁', 'dining table', '가구'),
    (66, '침대', 'bed frame', '가구'), (67, '책장', 'bookshelf', '가구'), (68, '조명', 'lamp', '가구'),
    (69, '커튼', 'curtains', '생활'), (70, '이불', 'duvet', '생활'), (71, '베개', 'pillow', '생활'),
    (72, '텀블러', 'tumbler', '생활'), (73, '머그컵', 'mug', '생활'), (74, '접시', 'plates', '주방'),
    (75, '냄비', 'pot', '주방'), (76, '프라이팬', 'frying pan', '주방'),
    (77, '운동화', 'sneakers', '의류'), (78, '패딩', 'padded jacket', '의류'),
    (79, '코트', 'coat', '의류'), (80, '원피스', 'dress', '의류'), (81, '청바지', 'jeans', '의류'),
    (82, '한복', 'hanbok', '의류'), (83, '목도리', 'scarf', '의류'), (84, '모자', 'cap', '의류'),
    (85, '가방', 'bag', '잡화'), (86, '백팩', 'backpack', '잡화'), (87, '지갑', 'wallet', '잡화'),
    (88, '시계', 'watch', '잡화'), (89, '선글라스', 'sunglasses', '잡화'),
    (90, '캐리어', 'suitcase', '잡화'), (91, '향수', 'perfume', '뷰티'),
    (92, '선크림', 'sunscreen', '뷰티'), (93, '화분', 'flower pot', '식물'),
    (94, '몬스테라', 'monstera', '식물'), (95, '다육이', 'succulents', '식물'),
    (96, '캣타워', 'cat tower', '반려동물'), (97, '강아지 옷', 'dog clothes', '반려동물'),
    (98, '사료', 'pet food', '반려동물'), (99, '통기타', 'acoustic guitar', '악기'),
    (100, '디지털피아노', 'digital piano', '악기');

CREATE TEMP TABLE regions (idx int PRIMARY KEY, ko text NOT NULL, en text NOT NULL);
INSERT INTO regions (idx, ko, en) VALUES
    (1, '제주', 'Jeju'), (2, '서귀포', 'Seogwipo'), (3, '서울', 'Seoul'), (4, '부산', 'Busan'),
    (5, '대구', 'Daegu'), (6, '인천', 'Incheon'), (7, '광주', 'Gwangju'), (8, '대전', 'Daejeon'),
    (9, '울산', 'Ulsan'), (10, '세종', 'Sejong'), (11, '수원', 'Suwon'), (12, '성남', 'Seongnam'),
    (13, '고양', 'Goyang'), (14, '용인', 'Yongin'), (15, '부천', 'Bucheon'), (16, '안산', 'Ansan'),
    (17, '안양', 'Anyang'), (18, '남양주', 'Namyangju'), (19, '화성', 'Hwaseong'),
    (20, '평택', 'Pyeongtaek'), (21, '의정부', 'Uijeongbu'), (22, '파주', 'Paju'),
    (23, '김포', 'Gimpo'), (24, '전주', 'Jeonju'), (25, '청주', 'Cheongju'), (26, '천안', 'Cheonan'),
    (27, '강릉', 'Gangneung'), (28, '춘천', 'Chuncheon'), (29, '원주', 'Wonju'), (30, '포항', 'Pohang'),
    (31, '경주', 'Gyeongju'), (32, '창원', 'Changwon'), (33, '김해', 'Gimhae'), (34, '여수', 'Yeosu'),
    (35, '순천', 'Suncheon'), (36, '목포', 'Mokpo'), (37, '마포', 'Mapo'), (38, '강남', 'Gangnam'),
    (39, '송파', 'Songpa'), (40, '해운대', 'Haeundae');

-- Sentences of bodies; {region}, {region_en}, {item2}, {item2_en} and {n} are filled in.
CREATE TEMP TABLE sentences (lang text NOT NULL, idx int NOT NULL, s text NOT NULL, PRIMARY KEY (lang, idx));
INSERT INTO sentences (lang, idx, s)
SELECT 'ko', row_number() OVER (), s FROM unnest(ARRAY[
    '상태 아주 좋아요.', '사용감 거의 없습니다.', '{region} 근처에서 직거래 가능해요.',
    '택배 거래도 가능합니다. 택배비는 별도예요.', '가격 제안 환영합니다.', '네고는 어렵습니다.',
    '{n}번 정도 사용했어요.', '선물 받았는데 쓸 일이 없어서 내놓아요.', '이사 가게 되어서 정리합니다.',
    '관심 있으시면 채팅 주세요.', '박스와 설명서 모두 있어요.', '구매한 지 {n}개월 되었어요.',
    '{item2}도 함께 팔아요. 같이 사시면 할인해 드려요.', '주말에만 거래 가능합니다.',
    '퇴근 후 저녁 시간에 만나요.', '사진에 보이는 그대로예요.', '작은 흠집이 하나 있어요.',
    '반려동물 없는 집이에요.', '먼저 연락 주시는 분께 드려요.', '오늘 가져가시면 더 깎아 드려요.'
]) s
UNION ALL
SELECT 'en', row_number() OVER (), s FROM unnest(ARRAY[
    'Barely used, works perfectly.', 'Pickup near {region_en} station.', 'Price is negotiable.',
    'Cash or bank transfer only.', 'Original box included.', 'Message me if interested!',
    'Moving out sale, everything must go.', 'Bought it {n} months ago.',
    'Also selling a {item2_en}.', 'No scratches, no dents.'
]) s;

-- People ----------------------------------------------------------------------------------

-- Person 1 is the oldest account; `people` maps their number to their id.
CREATE TEMP TABLE people (idx int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO people (idx, id)
SELECT n, pg_temp.uuid7(:'anchor'::timestamptz - interval '365 days' + n * (interval '300 days' / :users),
                        'person ' || n)
FROM generate_series(1, :users) n;

INSERT INTO users (id, username, email, display_name, password_hash, bio, created_at, updated_at)
SELECT p.id,
       'seed_' || lpad(p.idx::text, 7, '0'),
       'seed_' || lpad(p.idx::text, 7, '0') || '@bench.moji.invalid',
       (ARRAY['김', '이', '박', '최', '정', '강', '조', '윤', '장', '임'])[pg_temp.pick(p.idx, 1, 10)]
         || (ARRAY['민준', '서연', '도윤', '하은', '시우', '지유', '예준', '수아', '하준', '지아',
                   '주원', '서윤', '지호', '하윤', '준서', '채원'])[pg_temp.pick(p.idx, 2, 16)]
         || ' ' || p.idx,  -- display names are unique
       :'password_hash',
       CASE p.idx % 3 WHEN 0 THEN '동네에서 안 쓰는 물건 나눠요' WHEN 1 THEN 'Buying and selling nearby' ELSE '' END,
       t, t
FROM people p,
     LATERAL (SELECT :'anchor'::timestamptz - interval '365 days' + p.idx * (interval '300 days' / :users)) x(t)
ORDER BY p.idx;

-- Posts -----------------------------------------------------------------------------------

-- Post i (1 the oldest, :posts the newest) over the last 90 days. Authors: person 1 writes the
-- most (owner = 1 + floor(people * u^1.6)).
CREATE TEMP TABLE post_src AS
SELECT i, ts, author, it.ko AS item, it.en AS item_en, it.category, it2.ko AS item2, it2.en AS item2_en,
       rg.ko AS region, rg.en AS region_en, english, title_form,
       (ARRAY['새상품', '미개봉', 'S급', '거의 새것', '상태 좋음', '사용감 있음'])[pg_temp.pick(i, 7, 6)] AS cond,
       (ARRAY['like new', 'brand new', 'good condition', 'used'])[pg_temp.pick(i, 8, 4)] AS cond_en,
       to_char(pg_temp.pick(i, 9, 60) * 1000, 'FM999,999') AS price,
       2 + floor(pg_temp.rnd(i, 10) * 5)::int AS n_sentences,
       CASE WHEN english THEN 10 ELSE 20 END AS n_lang,
       pg_temp.pick(i, 12, 20) AS first_sentence,
       (ARRAY[1, 3, 7, 9])[pg_temp.pick(i, 18, 4)] AS sentence_step
FROM (
    SELECT i,
           :'anchor'::timestamptz - interval '90 days'
             + make_interval(secs => (i - 1 + pg_temp.rnd(i, 1)) * 90 * 86400 / :posts) AS ts,
           1 + floor(:users * power(pg_temp.rnd(i, 2), 1.6::float8))::int AS author,
           pg_temp.pick(i, 3, 100) AS item, pg_temp.pick(i, 4, 100) AS item2,
           pg_temp.pick(i, 5, 40) AS region,
           pg_temp.rnd(i, 6) < 0.2 AS english,
           pg_temp.rnd(i, 11) AS title_form
    FROM generate_series(1, :posts) i
) r
JOIN items it ON it.idx = r.item
JOIN items it2 ON it2.idx = r.item2
JOIN regions rg ON rg.idx = r.region;

CREATE TEMP TABLE post_rows AS
SELECT s.i, s.ts, s.author, pe.id AS author_id,
       pg_temp.uuid7(s.ts, 'post ' || s.i) AS id,
       CASE
           WHEN s.english AND s.title_form < 0.6 THEN 'Selling ' || s.item_en || ' (' || s.cond_en || ')'
           WHEN s.english THEN s.region_en || ' pickup: ' || s.item_en || ', ' || s.price || ' won'
           WHEN s.title_form < 0.25 THEN '[' || s.region || '] ' || s.item || ' 팝니다'
           WHEN s.title_form < 0.40 THEN s.region || ' 직거래 ' || s.item || ' ' || s.price || '원'
           WHEN s.title_form < 0.65 THEN s.item || ' ' || s.cond || ' 판매합니다'
           WHEN s.title_form < 0.75 THEN s.item || ' 나눔해요'
           WHEN s.title_form < 0.90 THEN '(급처) ' || s.item || ' ' || s.cond
           ELSE s.item || ' 구합니다'
       END AS title,
       (SELECT string_agg(replace(replace(replace(replace(replace(t.s,
                    '{region}', s.region), '{region_en}', s.region_en), '{item2}', s.item2),
                    '{item2_en}', s.item2_en), '{n}', (1 + pg_temp.pick(s.i::bigint * 10 + k, 13, 11))::text), ' '
                  ORDER BY k)
        FROM generate_series(1, s.n_sentences) k
        -- Sentences x, x + step, x + 2 step... (mod 10 or 20, steps coprime to both): no repeats.
        JOIN sentences t ON t.lang = CASE WHEN s.english THEN 'en' ELSE 'ko' END
                        AND t.idx = (s.first_sentence - 1 + k * s.sentence_step) % s.n_lang + 1) AS body,
       -- The item, its category (70 %), a market word (30 %); English posts tag in English.
       CASE WHEN s.english THEN ARRAY[lower(replace(s.item_en, ' ', '-'))]
            ELSE ARRAY[replace(s.item, ' ', '')] END
         || CASE WHEN pg_temp.rnd(s.i, 14) < 0.7 THEN ARRAY[s.category] ELSE '{}' END
         || CASE WHEN pg_temp.rnd(s.i, 15) < 0.3
                 THEN ARRAY[(ARRAY['나눔', '급처', '새상품', '직거래', '택배가능', '미개봉'])[pg_temp.pick(s.i, 16, 6)]]
                 ELSE '{}' END AS tags,
       -- Views so far (the benchmark adds to them).
       floor(20 * power(1 - pg_temp.rnd(s.i, 17), -1 / 1.5::float8))::bigint AS views
FROM post_src s
JOIN people pe ON pe.idx = s.author;

-- Post i gets c(i) likes (inserted below): Lomax (alpha 1.5) weights, capped at 100 x their
-- mean, shares of :likes cut from their running sum (so they add up to :likes unless a post
-- would need more likers than there are people). Likers are the author + j * step (mod
-- people): distinct, never the author.
CREATE TEMP TABLE like_counts AS
SELECT i, id, author, ts, pg_temp.coprime_step(i, :users) AS step,
       least(:users - 1, (cum * :likes) / total - ((cum - w) * :likes) / total)::int AS c
FROM (
    SELECT i, id, author, ts, w, (sum(w) OVER (ORDER BY i))::bigint AS cum, (sum(w) OVER ())::bigint AS total
    FROM (
        SELECT i, id, author, ts,
               least(200000, 1 + floor(1000 * (power(1 - pg_temp.rnd(i, 30), -1 / 1.5::float8) - 1)))::bigint AS w
        FROM post_rows
    ) x
) y;

-- like_count is written with the post: see the likes below.
INSERT INTO posts (id, author_id, title, body, tags, status, like_count, view_count, created_at, updated_at)
SELECT p.id, p.author_id, p.title, p.body, p.tags, 'published', l.c, p.views, p.ts, p.ts
FROM post_rows p JOIN like_counts l ON l.i = p.i ORDER BY p.i;

INSERT INTO post_tags (tag, post_id, created_at)
SELECT t.tag, p.id, p.ts FROM post_rows p CROSS JOIN LATERAL unnest(p.tags) t(tag)
ORDER BY p.i;

-- Follows ---------------------------------------------------------------------------------

-- Person u follows k(u) people: weights 3..17 per person, shares of :follows cut from their
-- running sum so the counts add up to :follows exactly (at most people - 1 each). Whom: draws
-- 1 + floor(people * v^1.8) (person 1 is the most followed), the first k(u) distinct ones.
CREATE TEMP TABLE follow_counts AS
SELECT u, least(:users - 1, (cum * :follows) / total - ((cum - w) * :follows) / total)::int AS k
FROM (
    SELECT u, w, (sum(w) OVER (ORDER BY u))::bigint AS cum, (sum(w) OVER ())::bigint AS total
    FROM (SELECT u, (3 + floor(pg_temp.rnd(u, 20) * 15))::bigint AS w FROM generate_series(1, :users) u) x
) y;

INSERT INTO follows (follower_id, followee_id, created_at)
SELECT a.id, b.id, :'anchor'::timestamptz - make_interval(secs => pg_temp.rnd(f.u::bigint * 1000003 + f.v, 23) * 150 * 86400)
FROM (
    SELECT u, v, k, row_number() OVER (PARTITION BY u ORDER BY first_draw) AS rn
    FROM (
        SELECT c.u, d.v, c.k, min(j) AS first_draw
        FROM follow_counts c
        CROSS JOIN LATERAL generate_series(1, 3 * c.k + 10) j
        CROSS JOIN LATERAL (SELECT 1 + floor(:users * power(pg_temp.rnd(c.u::bigint * 1000003 + j, 21), 1.8::float8))::int AS v) d
        WHERE d.v <> c.u AND c.k > 0
        GROUP BY c.u, d.v, c.k
    ) drawn
) f
JOIN people a ON a.idx = f.u
JOIN people b ON b.idx = f.v
WHERE f.rn <= f.k
ORDER BY f.u, f.rn;

-- Likes -----------------------------------------------------------------------------------

-- The likes counted in like_counts; most come soon after the post. The trigger that adds
-- likes to posts.like_count is off for this one INSERT (posts already hold the counts): on
-- for a million rows it would UPDATE every liked post once more, a new row version of each
-- with its search index entries, doubling the time of this step. The check below proves the
-- counts right.
BEGIN;
ALTER TABLE post_likes DISABLE TRIGGER post_likes_counts_insert;
INSERT INTO post_likes (post_id, user_id, created_at)
SELECT l.id, pe.id, l.ts + (:'anchor'::timestamptz - l.ts) * power(pg_temp.rnd(l.i::bigint * 4099 + j, 31), 3::float8)
FROM like_counts l
CROSS JOIN LATERAL generate_series(1, l.c) j
JOIN people pe ON pe.idx = (l.author - 1 + j * l.step::bigint) % :users + 1
ORDER BY l.i, j;
ALTER TABLE post_likes ENABLE TRIGGER post_likes_counts_insert;
COMMIT;

-- Every counter must be exact: like counts, posts per person, followers and following.
DO $$
DECLARE
    wrong bigint;
BEGIN
    SELECT (SELECT count(*) FROM posts p
            LEFT JOIN (SELECT post_id, count(*) AS n FROM post_likes GROUP BY post_id) l ON l.post_id = p.id
            WHERE p.like_count <> coalesce(l.n, 0))
         + (SELECT count(*) FROM users u
            LEFT JOIN user_post_counts c ON c.user_id = u.id
            LEFT JOIN (SELECT author_id, count(*) AS n FROM posts WHERE status = 'published'
                       GROUP BY author_id) p ON p.author_id = u.id
            WHERE coalesce(c.posts, 0) <> coalesce(p.n, 0))
         + (SELECT count(*) FROM users u
            LEFT JOIN user_follow_counts c ON c.user_id = u.id
            LEFT JOIN (SELECT followee_id, count(*) AS n FROM follows GROUP BY followee_id) r ON r.followee_id = u.id
            LEFT JOIN (SELECT follower_id, count(*) AS n FROM follows GROUP BY follower_id) g ON g.follower_id = u.id
            WHERE coalesce(c.followers, 0) <> coalesce(r.n, 0) OR coalesce(c.following, 0) <> coalesce(g.n, 0))
    INTO wrong;
    IF wrong > 0 THEN
        RAISE EXCEPTION '% counters kept by the triggers do not match the rows', wrong;
    END IF;
END
$$;
