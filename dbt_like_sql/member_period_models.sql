/*
description: >
  Each member's month per vendor and model (SKU): billed spend, the estimate and list-price
  value beside it (never added), tokens (NULL when unknown) and requests. Members as in
  member_daily (unlinked accounts grouped as 'unlinked').
kind: incremental_by_month
time_column: month
time_column_type: month
grain: [tenant_id, member_group, member_id, month, provider, source, service, model]
indexes: [[tenant_id, month, member_id]]
tests:
  not_null: [tenant_id, member_group, month, provider, source, service, model,
             billed_cost_micros, estimated_cost_micros]
  non_negative: [estimated_cost_micros, list_price_micros, tokens, requests]
  accepted_values: {member_group: [member, unlinked, unattributed]}
*/
select
    f.tenant_id,
    case
        when il.member_id is not null then 'member'
        when f.account_key = 'unattributed' then 'unattributed'
        else 'unlinked'
    end as member_group,
    il.member_id,
    @month(f.charge_period_start) as month,
    f.provider,
    f.source,
    f.service,
    f.sku as model,
    @money_sum(f.billed_cost_micros) as billed_cost_micros,
    @money_sum(case when f.cost_basis = 'estimated' then f.list_cost_micros else 0 end)
        as estimated_cost_micros,
    @int_sum(case when f.cost_basis = 'billed' then f.list_cost_micros end) as list_price_micros,
    -- Tokens of Claude Code through an API key: the billed rows of the key carry them.
    @int_sum(
        case
            when f.cost_basis = 'estimated' and va.kind = 'api_key' then null
            when f.input_tokens is null and f.output_tokens is null
                and f.cache_read_tokens is null and f.cache_write_tokens is null then null
            else coalesce(f.input_tokens, 0) + coalesce(f.output_tokens, 0)
                + coalesce(f.cache_read_tokens, 0) + coalesce(f.cache_write_tokens, 0)
        end
    ) as tokens,
    @int_sum(f.requests) as requests
from usage_facts f
left join vendor_accounts va
    on va.tenant_id = f.tenant_id and va.source = f.source and va.account_key = f.account_key
left join identity_links il on il.vendor_account_id = va.id
where @scope_days(f.tenant_id, f.charge_period_start)
group by 1, 2, 3, 4, 5, 6, 7, 8
