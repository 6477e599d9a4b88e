/*
description: >
  Each member's day, through identity links (account_members; accounts linked to nobody are grouped as
  member_group 'unlinked', the vendors' unattributed remainders as 'unattributed', both with a
  NULL member_id). billed_cost_micros is billed spend; estimated_cost_micros the estimate of
  usage billed elsewhere (cost basis 'estimated') and list_price_micros the public-price value
  of billed usage where known: both shown beside billed spend, never added to it. tokens is
  NULL when no vendor reported any (unknown is not zero). A day is active when it has tokens,
  requests or activity. Tokens of Claude Code through an API key are left out (the billed rows
  of the key carry them). seconds_saved is an estimate: each activity metric's count times its
  seconds per unit (defaults in warehouse/seconds_saved.py; a tenant overrides one with the
  setting 'marts.seconds_saved.<metric>' = {"value": seconds}). A day's rows read only that
  day's facts: a sync recomputes just the days it touched.
kind: incremental_by_day
time_column: day
grain: [tenant_id, member_group, member_id, day]
# The first covers the daily totals and the grain: the build's unique test groups the rows in
# its order instead of sorting them (SQLite, 1,000 members × 365 days: 0.42 s → 0.15 s), for a
# full build and a day's alike.
indexes: [[tenant_id, day, member_id, member_group, billed_cost_micros], [tenant_id, member_id, day]]
tests:
  not_null: [tenant_id, member_group, day, month, billed_cost_micros, estimated_cost_micros,
             seconds_saved, is_active]
  non_negative: [estimated_cost_micros, list_price_micros, tokens, requests, seconds_saved]
  accepted_values: {member_group: [member, unlinked, unattributed], is_active: [0, 1]}
*/
with overrides as (
    -- The tenants' seconds per unit of a metric ('marts.seconds_saved.<metric>'), NULL seconds
    -- meaning the default.
    select
        tenant_id,
        substr(key, length('marts.seconds_saved.') + 1) as metric,
        cast(@setting(value) as bigint) as seconds
    from settings
    where substr(key, 1, length('marts.seconds_saved.')) = 'marts.seconds_saved.'
),

measures as (
    -- One row per fact and one per activity metric, each with its member: grouped once below
    -- (a GROUP BY per part and another over their union sorted every row twice).
    select
        f.tenant_id,
        -- The member, or -1 for the vendors' unattributed remainders, -2 for accounts linked to
        -- nobody (member ids are positive): one integer to group by, not a group's text too.
        coalesce(
            am.member_id, case when f.account_key = 'unattributed' then -1 else -2 end
        ) as member_key,
        f.charge_period_start as day,
        f.billed_cost_micros,
        case when f.cost_basis = 'estimated' then f.list_cost_micros else 0 end
            as estimated_cost_micros,
        case when f.cost_basis = 'billed' then f.list_cost_micros end as list_price_micros,
        -- Tokens of Claude Code through an API key: the billed rows of the key carry them.
        case
            when f.cost_basis = 'estimated' and am.kind = 'api_key' then null
            when f.input_tokens is null and f.output_tokens is null
                and f.cache_read_tokens is null and f.cache_write_tokens is null then null
            else coalesce(f.input_tokens, 0) + coalesce(f.output_tokens, 0)
                + coalesce(f.cache_read_tokens, 0) + coalesce(f.cache_write_tokens, 0)
        end as tokens,
        f.requests,
        -- NULL, not 0, in the columns a part does not fill: the sums skip them, and money_sum
        -- makes a group without any 0. bigint: a numeric column (PostgreSQL's type for the
        -- activity part's sum) summed every fact as a numeric.
        cast(null as bigint) as seconds_saved,
        -- Requests first: most facts have some, and then the tokens are not added up twice.
        case
            when f.requests > 0 then 1
            when coalesce(f.input_tokens, 0) + coalesce(f.output_tokens, 0)
                + coalesce(f.cache_read_tokens, 0) + coalesce(f.cache_write_tokens, 0) > 0 then 1
            else 0
        end as is_active
    from usage_facts f
    left join account_members am
        on am.account_key = f.account_key and am.source = f.source
        and am.tenant_id = f.tenant_id
    where @scope_days(f.tenant_id, f.charge_period_start)
    union all
    -- One row per activity_days row (one per account and day), its measures stored beside its
    -- metrics when it was written (warehouse/activity_measures.py): reading them from the
    -- metrics object cost more than the rest of the mart (measured: 200 members × 365 days).
    select
        a.tenant_id,
        coalesce(am.member_id, case when a.account_key = 'unattributed' then -1 else -2 end),
        a.day,
        null,
        null,
        null,
        null,
        null,
        -- Each metric's count times its seconds per unit, the defaults (stored); the third part
        -- adds what the tenant's overrides change.
        a.default_seconds_saved,
        a.is_active
    from activity_days a
    left join account_members am
        on am.account_key = a.account_key and am.source = a.source
        and am.tenant_id = a.tenant_id
    where @scope_days(a.tenant_id, a.day)
        -- x_ metrics are vendors' control figures, nobody's activity: a day with only those
        -- (is_active NULL) is no member's day.
        and a.is_active is not null
    union all
    -- For each metric a tenant overrides, its count times the difference the setting makes:
    -- rows of their own, summed with the rest below; only the days of the tenants with an
    -- override are unnested, each once, its metrics then looked up among the overrides (a
    -- correlated subquery per day did that too, but PostgreSQL carried every day's metrics
    -- through the joins: 300 members × 120 days with overrides, 0.74 s -> 0.62 s CPU).
    select
        a.tenant_id,
        coalesce(am.member_id, case when a.account_key = 'unattributed' then -1 else -2 end),
        a.day,
        null,
        null,
        null,
        null,
        null,
        cast(@json_number(m.value) as bigint)
        * (coalesce(o.seconds, @seconds_per_unit(m.key)) - @seconds_per_unit(m.key)),
        null
    from activity_days a
    cross join @json_entries(a.metrics) m
    -- A cross join, so that SQLite keeps this order: each day unnested once, then its metrics
    -- looked up among the overrides (it unnested the day once per override otherwise).
    cross join overrides o
    left join account_members am
        on am.account_key = a.account_key and am.source = a.source
        and am.tenant_id = a.tenant_id
    where a.tenant_id in (select tenant_id from overrides)
        and o.tenant_id = a.tenant_id and o.metric = m.key and substr(m.key, 1, 2) <> 'x_'
        and @scope_days(a.tenant_id, a.day) and a.is_active is not null
)
select
    tenant_id,
    case
        when member_key > 0 then 'member'
        when member_key = -1 then 'unattributed'
        else 'unlinked'
    end as member_group,
    case when member_key > 0 then member_key end as member_id,
    day,
    @month(day) as month,
    @money_sum(billed_cost_micros) as billed_cost_micros,
    @money_sum(estimated_cost_micros) as estimated_cost_micros,
    @int_sum(list_price_micros) as list_price_micros,
    @int_sum(tokens) as tokens,
    @int_sum(requests) as requests,
    @money_sum(seconds_saved) as seconds_saved,
    max(is_active) as is_active
from measures
-- Day first: SQLite sorts to group, and facts come in day order (measured: half the time);
-- then the member's integer key, which settles a comparison sooner than the group's text
-- and the member id did (cachegrind: a seventh of the grouping's instructions).
group by day, member_key, tenant_id
