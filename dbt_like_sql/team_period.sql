/*
description: >
  The team's calendar month: billed spend (the estimate beside it, never added), tokens (NULL
  when unknown), active members (linked members with at least one active day), month-over-month
  change of billed spend (in micro-dollars and in basis points of the previous month; NULL when
  there is no previous month to compare with) and billed spend per active member (truncated to
  the micro-dollar; NULL without active members).
kind: incremental_by_month
time_column: month
time_column_type: month
reads_previous_months: 1
grain: [tenant_id, month]
indexes: [[tenant_id, month]]
tests:
  not_null: [tenant_id, month, billed_cost_micros, estimated_cost_micros, active_members]
  non_negative: [estimated_cost_micros, tokens, active_members]
*/
with months as (
    select
        tenant_id,
        month,
        @money_sum(billed_cost_micros) as billed_cost_micros,
        @money_sum(estimated_cost_micros) as estimated_cost_micros,
        @int_sum(tokens) as tokens,
        count(case when member_group = 'member' and active_days > 0 then 1 end)
            as active_members
    from member_period
    where @scope_months(tenant_id, month)
    group by tenant_id, month
)
select
    m.tenant_id,
    m.month,
    m.billed_cost_micros,
    m.estimated_cost_micros,
    m.tokens,
    m.active_members,
    p.billed_cost_micros as previous_billed_cost_micros,
    m.billed_cost_micros - p.billed_cost_micros as billed_change_micros,
    @safe_div((m.billed_cost_micros - p.billed_cost_micros) * 10000, p.billed_cost_micros)
        as billed_change_bp,
    @safe_div(m.billed_cost_micros, m.active_members) as billed_per_active_member_micros
from months m
left join months p on p.tenant_id = m.tenant_id and p.month = @prev_month(m.month)
