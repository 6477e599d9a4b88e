-- Spend per tenant, calendar month, provider and source.
-- billed_cost_micros: every fact's billed cost (what the invoices say).
-- estimated_cost_micros: the public-price estimate of facts whose cost basis is 'estimated'
-- (for example Claude Code's estimated_cost); shown beside billed cost, never added to it.
select
    tenant_id,
    substr(cast(charge_period_start as text), 1, 7) as month,
    provider,
    source,
    cast(sum(billed_cost_micros) as bigint) as billed_cost_micros,
    cast(
        sum(case when cost_basis = 'estimated' then coalesce(list_cost_micros, 0) else 0 end)
        as bigint
    ) as estimated_cost_micros
from usage_facts
group by tenant_id, substr(cast(charge_period_start as text), 1, 7), provider, source
