/*
description: >
  Spend per tenant, calendar month, provider and source. billed_cost_micros is every fact's
  billed cost (what the invoices say); estimated_cost_micros is the public-price estimate of
  facts whose cost basis is 'estimated' (e.g. Claude Code's estimated_cost), shown beside
  billed cost, never added to it.
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
    @month(charge_period_start) as month,
    provider,
    source,
    @money_sum(billed_cost_micros) as billed_cost_micros,
    @money_sum(case when cost_basis = 'estimated' then list_cost_micros else 0 end)
        as estimated_cost_micros
from usage_facts
where @scope_days(tenant_id, charge_period_start)
group by tenant_id, @month(charge_period_start), provider, source
