/*
description: >
  Each vendor account's member, resolved once: the member its identity link names (NULL when
  linked to nobody) and the account's kind. The member marts look an account up here, one
  covering index probe per fact, instead of joining vendor_accounts and identity_links per
  fact (measured on SQLite at 1,000 members × 365 days: the two joins were a quarter of
  member_daily's instructions, this lookup a third of theirs).
kind: full
grain: [tenant_id, source, account_key]
# The account key first: a probe's comparisons settle on it at once (tenant and source are
# shared by thousands of accounts); member_id and kind ride along, so the probe never reads
# the table.
indexes: [[account_key, source, tenant_id, member_id, kind]]
tests:
  not_null: [tenant_id, source, account_key, kind]
*/
select
    va.tenant_id,
    va.source,
    va.account_key,
    va.kind,
    il.member_id
from vendor_accounts va
left join identity_links il on il.vendor_account_id = va.id
