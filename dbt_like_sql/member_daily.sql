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
  seconds per unit (defaults below; a tenant overrides one with the setting
  'marts.seconds_saved.<metric>' = {"value": seconds}). A day's rows read only that day's
  facts: a sync recomputes just the days it touched.
kind: incremental_by_day
time_column: day
grain: [tenant_id, member_group, member_id, day]
indexes: [[tenant_id, day, billed_cost_micros], [tenant_id, member_id, day]]  # the first covers the daily totals
tests:
  not_null: [tenant_id, member_group, day, month, billed_cost_micros, estimated_cost_micros,
             seconds_saved, is_active]
  non_negative: [estimated_cost_micros, list_price_micros, tokens, requests, seconds_saved]
  accepted_values: {member_group: [member, unlinked, unattributed], is_active: [0, 1]}
*/
with measures as (
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
        0 as seconds_saved,
        case
            when coalesce(f.input_tokens, 0) + coalesce(f.output_tokens, 0)
                + coalesce(f.cache_read_tokens, 0) + coalesce(f.cache_write_tokens, 0) > 0
                or coalesce(f.requests, 0) > 0 then 1
            else 0
        end as is_active
    from usage_facts f
    left join account_members am
        on am.account_key = f.account_key and am.source = f.source
        and am.tenant_id = f.tenant_id
    where @scope_days(f.tenant_id, f.charge_period_start)
    union all
    -- One activity_days row per account and day; its metrics unnested from the JSON object.
    select
        a.tenant_id,
        coalesce(am.member_id, case when a.account_key = 'unattributed' then -1 else -2 end),
        a.day,
        0,
        0,
        null,
        null,
        null,
        cast(@json_number(m.value) as bigint) * coalesce(
            cast(@setting(s.value) as bigint),
            -- Estimated seconds an assistant saves per unit of an activity metric (documented
            -- in the README, "Marts"); metrics not listed save no estimated time. A CASE, not
            -- a joined VALUES list: SQLite scanned the list for every metric of every day.
            case m.key
                when 'accepted_lines_added' then 6  -- a line of code accepted from the assistant
                when 'lines_added' then 6           -- Claude Code: a line it wrote
                when 'chat_requests' then 30
                when 'agent_requests' then 60
                when 'composer_requests' then 60
                when 'cmdk_usages' then 15
                when 'pull_requests' then 600
                else 0
            end
        ),
        case when @json_number(m.value) > 0 then 1 else 0 end
    from activity_days a
    cross join @json_entries(a.metrics) m
    left join account_members am
        on am.account_key = a.account_key and am.source = a.source
        and am.tenant_id = a.tenant_id
    left join settings s
        on s.tenant_id = a.tenant_id and s.key = 'marts.seconds_saved.' || m.key
    -- x_ metrics are vendors' control figures: nobody's activity.
    where substr(m.key, 1, 2) <> 'x_' and @scope_days(a.tenant_id, a.day)
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
