-- The engine's functions plan with enable_seqscan = off (their statements must use the indexes
-- whatever the statistics of a young table say). That setting makes any plan with a sequential
-- scan — "Worker" has no index for `pool = ANY(pools)`, and a few tiny tables are scanned — cost
-- over 10^10, which is past jit_above_cost and jit_inline_above_cost: PostgreSQL then JIT-compiled,
-- inlined and optimised those statements on every call. On two loaded cores baton_allowance took
-- 300-650 ms instead of 5 ms (all of it in JIT), so every admission (baton_admit), and with it
-- every webhook delivery's first task start, waited that long. These functions' statements are
-- short index lookups that JIT can never pay back: no JIT inside them (nested calls inherit it).
ALTER FUNCTION baton_admit SET jit = off;
ALTER FUNCTION baton_allowance SET jit = off;
ALTER FUNCTION baton_claim SET jit = off;
ALTER FUNCTION baton_finish_attempts SET jit = off;
ALTER FUNCTION baton_record_outcomes SET jit = off;
