"""The weekly check's statements on PostgreSQL (mentoring.services.compliance)."""

from mentoring.models import TutoringSession, WeeklyCompliance

_TABLE = WeeklyCompliance._meta.db_table
_SESSIONS = TutoringSession._meta.db_table
# The check in the database (PostgreSQL): the pairings and their windows come in
# as arrays, the sessions are aggregated per pairing and week, the missed
# streak is carried along by one window (a missed week's streak is how many
# school weeks it lies after the pairing's last met week, or after the week
# before its window plus that week's stored streak: holiday weeks are not in
# the list, so they do not break a streak), and only the rows that differ
# from the stored ones are upserted, in the same statement.
CHECK_SQL = f"""
WITH p AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(schools)s::bigint[], %(mentors)s::bigint[],
                         %(firsts)s::date[], %(lasts)s::date[], %(streaks)s::integer[])
        AS p(pairing_id, school_id, mentor_id, first_week, last_week, seed_streak)
    WHERE first_week IS NOT NULL
),
figures AS (
    SELECT s.pairing_id, s.date - extract(isodow FROM s.date)::integer + 1 AS monday,
           count(*) FILTER (WHERE s.kind = ANY(%(contact)s)) AS sessions,
           coalesce(sum(s.minutes) FILTER (WHERE s.kind = ANY(%(contact)s)), 0) AS minutes,
           count(*) FILTER (WHERE s.kind = %(home_visit)s) AS home_visits
    FROM {_SESSIONS} s JOIN p ON p.pairing_id = s.pairing_id
    WHERE s.date >= p.first_week AND s.date < p.last_week + 7
      AND s.date >= %(earliest)s AND s.date < %(after)s
      AND s.date >= %(term_start)s AND s.date <= %(term_end)s
    GROUP BY 1, 2
),
weeks AS (
    SELECT p.*, w.monday, w.ord, coalesce(f.sessions, 0) AS sessions,
           coalesce(f.minutes, 0) AS minutes, coalesce(f.home_visits, 0) AS home_visits,
           coalesce(f.sessions, 0) >= %(target)s AS met
    FROM p JOIN unnest(%(weeks)s::date[]) WITH ORDINALITY AS w(monday, ord)
           ON w.monday BETWEEN p.first_week AND p.last_week
    LEFT JOIN figures f ON f.pairing_id = p.pairing_id AND f.monday = w.monday
),
runs AS (
    SELECT *, min(ord) OVER w AS first_ord, max(CASE WHEN met THEN ord END) OVER w AS last_met
    FROM weeks WINDOW w AS (PARTITION BY pairing_id ORDER BY ord)
),
results AS (
    SELECT *, CASE WHEN met THEN 0
                   WHEN last_met IS NULL THEN seed_streak + ord - first_ord + 1
                   ELSE ord - last_met END AS missed_streak
    FROM runs
),
changed AS (
    SELECT r.* FROM results r
    LEFT JOIN {_TABLE} old ON old.pairing_id = r.pairing_id AND old.week_start = r.monday
        AND old.term_id = %(term)s AND old.week_start >= %(earliest)s
    WHERE old.id IS NULL
       OR (old.school_id, old.mentor_id, old.sessions, old.minutes, old.home_visits,
           old.target_sessions, old.met, old.missed_streak)
          IS DISTINCT FROM
          (r.school_id, r.mentor_id, r.sessions, r.minutes, r.home_visits, %(target)s, r.met,
           r.missed_streak)
),
written AS (
    INSERT INTO {_TABLE} AS old (pairing_id, term_id, school_id, mentor_id, week_start,
        iso_year, iso_week, sessions, minutes, home_visits, target_sessions, met,
        missed_streak, checked_at)
    SELECT pairing_id, %(term)s, school_id, mentor_id, monday,
           extract(isoyear FROM monday)::integer, extract(week FROM monday)::integer,
           sessions, minutes, home_visits, %(target)s, met, missed_streak, now()
    FROM changed
    ON CONFLICT (pairing_id, iso_year, iso_week) DO UPDATE SET
        term_id = EXCLUDED.term_id, school_id = EXCLUDED.school_id,
        mentor_id = EXCLUDED.mentor_id, week_start = EXCLUDED.week_start,
        sessions = EXCLUDED.sessions, minutes = EXCLUDED.minutes,
        home_visits = EXCLUDED.home_visits, target_sessions = EXCLUDED.target_sessions,
        met = EXCLUDED.met, missed_streak = EXCLUDED.missed_streak,
        checked_at = EXCLUDED.checked_at
    WHERE (old.term_id, old.school_id, old.mentor_id, old.week_start, old.sessions,
           old.minutes, old.home_visits, old.target_sessions, old.met, old.missed_streak)
        IS DISTINCT FROM
          (EXCLUDED.term_id, EXCLUDED.school_id, EXCLUDED.mentor_id, EXCLUDED.week_start,
           EXCLUDED.sessions, EXCLUDED.minutes, EXCLUDED.home_visits,
           EXCLUDED.target_sessions, EXCLUDED.met, EXCLUDED.missed_streak)
    RETURNING pairing_id, week_start, met
),
resolved AS ({{resolve}})
SELECT (SELECT count(*) FROM results), (SELECT count(*) FILTER (WHERE met) FROM results),
       (SELECT count(*) FROM written), (SELECT count(*) FROM resolved),
       (SELECT coalesce(json_agg(json_build_array(pairing_id, sessions, minutes, home_visits,
                                                  missed_streak)), '[]')
        FROM results WHERE monday = %(through)s AND NOT met)
"""  # noqa: S608  # nosec B608 (every name is a constant of this module or of the models)
# Rows in the checked pairings' windows that the windows no longer have: weeks that stopped
# counting.
STALE_SQL = f"""
DELETE FROM {_TABLE} wc
USING unnest(%(ids)s::bigint[], %(firsts)s::date[], %(lasts)s::date[], %(seeds)s::date[])
    AS p(pairing_id, first_week, last_week, seed_week)
WHERE wc.pairing_id = p.pairing_id AND wc.term_id = %(term)s AND wc.week_start >= %(bound)s
  AND (p.seed_week IS NULL OR wc.week_start > p.seed_week)
  AND NOT coalesce(wc.week_start BETWEEN p.first_week AND p.last_week
                   AND wc.week_start = ANY(%(weeks)s::date[]), false)
"""  # noqa: S608  # nosec B608
