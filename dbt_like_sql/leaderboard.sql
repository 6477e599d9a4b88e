/*
description: >
  Members ranked per calendar month by the tenant's leaderboard metric (the setting
  'dashboard.leaderboard_metric' = {"value": "spend" | "tokens" | "active_days"}; spend by default).
  Only linked members with a positive score are ranked; ties share a place. previous_place is
  last month's place (NULL for a new entrant); places_climbed is how many places they rose,
  0 when they did not, NULL for a new entrant (no arrow): nothing here can say "fell".
kind: incremental_by_month
time_column: month
time_column_type: month
reads_previous_months: 1
grain: [tenant_id, month, member_id]
indexes: [[tenant_id, month, place]]
tests:
  not_null: [tenant_id, month, member_id, ranked_by, score, place, is_new_entrant]
  non_negative: [score, place, previous_place, places_climbed]
  accepted_values: {ranked_by: [spend, tokens, active_days], is_new_entrant: [0, 1]}
*/
with metric as (
    select
        mp.tenant_id,
        mp.month,
        mp.member_id,
        case
            when @setting(s.value) in ('tokens', 'active_days') then @setting(s.value)
            else 'spend'
        end as ranked_by,
        mp.billed_cost_micros,
        coalesce(mp.tokens, 0) as tokens,
        mp.active_days
    from member_period mp
    left join settings s on s.tenant_id = mp.tenant_id and s.key = 'dashboard.leaderboard_metric'
    where mp.member_group = 'member' and @scope_months(mp.tenant_id, mp.month)
),
scored as (
    select
        tenant_id,
        month,
        member_id,
        ranked_by,
        case ranked_by
            when 'tokens' then tokens
            when 'active_days' then active_days
            else billed_cost_micros
        end as score
    from metric
),
ranked as (
    select
        tenant_id,
        month,
        member_id,
        ranked_by,
        score,
        rank() over (partition by tenant_id, month order by score desc) as place
    from scored
    where score > 0
),
placed as (
    -- The member's latest ranked month before this one: last month's place when it is last
    -- month (a window, not a self-join: no per-row lookup of the month before).
    select
        tenant_id,
        month,
        member_id,
        ranked_by,
        score,
        place,
        case
            when lag(month) over (partition by tenant_id, member_id order by month)
                = @prev_month(month)
            then lag(place) over (partition by tenant_id, member_id order by month)
        end as previous_place
    from ranked
)
select
    tenant_id,
    month,
    member_id,
    ranked_by,
    score,
    place,
    previous_place,
    case
        when previous_place is null then null
        when previous_place > place then previous_place - place
        else 0
    end as places_climbed,
    case when previous_place is null then 1 else 0 end as is_new_entrant
from placed
