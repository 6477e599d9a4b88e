/*
description: >
  Each member's month per vendor and model (SKU): billed spend, the estimate and list-price
  value beside it (never added), tokens (NULL when unknown) and requests. Members as in
  member_daily (unlinked accounts grouped as 'unlinked'). Facts are summed per account, month
  and model before the account lookup (account_members): it runs once per group, not once per fact.
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
with facts as (
    select
        tenant_id,
        source,
        account_key,
        @month_key(charge_period_start) as month_key,
        provider,
        service,
        sku,
        @money_sum(billed_cost_micros) as billed_cost_micros,
        @money_sum(case when cost_basis = 'estimated' then list_cost_micros else 0 end)
            as estimated_cost_micros,
        @int_sum(case when cost_basis = 'billed' then list_cost_micros end) as list_price_micros,
        -- Tokens split by cost basis: the account's kind (joined below) decides whether the
        -- estimated ones count.
        @int_sum(
            case
                when cost_basis = 'estimated' then null
                when input_tokens is null and output_tokens is null
                    and cache_read_tokens is null and cache_write_tokens is null then null
                else coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
                    + coalesce(cache_read_tokens, 0) + coalesce(cache_write_tokens, 0)
            end
        ) as tokens,
        @int_sum(
            case
                when cost_basis <> 'estimated' or cost_basis is null then null
                when input_tokens is null and output_tokens is null
                    and cache_read_tokens is null and cache_write_tokens is null then null
                else coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
                    + coalesce(cache_read_tokens, 0) + coalesce(cache_write_tokens, 0)
            end
        ) as estimated_tokens,
        @int_sum(requests) as requests
    from usage_facts
    where @scope_month_key(tenant_id, charge_period_start)
    -- SQLite reads the facts in this order from the index of migration 0021 (@scope_month_key
    -- keeps the month on its key) and aggregates without sorting: a month's refresh took half
    -- the CPU of reading the days through the unique index and sorting them.
    group by @month_key(charge_period_start), account_key, source, sku, provider, service,
        tenant_id
)
select
    f.tenant_id,
    case
        when am.member_id is not null then 'member'
        when f.account_key = 'unattributed' then 'unattributed'
        else 'unlinked'
    end as member_group,
    am.member_id,
    @month(f.month_key) as month,
    f.provider,
    f.source,
    f.service,
    f.sku as model,
    @money_sum(f.billed_cost_micros) as billed_cost_micros,
    @money_sum(f.estimated_cost_micros) as estimated_cost_micros,
    @int_sum(f.list_price_micros) as list_price_micros,
    -- Tokens of Claude Code through an API key: the billed rows of the key carry them.
    @int_sum(
        case
            when am.kind = 'api_key' or f.estimated_tokens is null then f.tokens
            when f.tokens is null then f.estimated_tokens
            else f.tokens + f.estimated_tokens
        end
    ) as tokens,
    @int_sum(f.requests) as requests
from facts f
left join account_members am
    on am.account_key = f.account_key and am.source = f.source and am.tenant_id = f.tenant_id
group by 1, 4, 2, 3, 5, 6, 7, 8
