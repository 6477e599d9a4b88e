/*
description: >
  Spend per tenant, calendar month, provider and source. billed_cost_micros is every fact's
  billed cost (what the invoices say); estimated_cost_micros is the public-price estimate of
  facts whose cost basis is 'estimated' (e.g. Claude Code's estimated_cost), shown beside
  billed cost, never added to it. Summed from member_period_models (the same facts, already
  grouped by member and model), so a sync's month costs a month of that mart, not of facts.
kind: incremental_by_month
time_column: month
time_column_type: month
grain: [tenant_id, month, provider, source]
indexes: [[tenant_id, month]]
tests:
  not_null: [tenant_id, month, provider, source, billed_cost_micros, estimated_cost_micros]
  non_negative: [estimated_cost_micros]
*/
select
    tenant_id,
    month,
    provider,
    source,
    @money_sum(billed_cost_micros) as billed_cost_micros,
    @money_sum(estimated_cost_micros) as estimated_cost_micros
from member_period_models
where @scope_months(tenant_id, month)
group by tenant_id, month, provider, source
