import { describe, expect, it } from '@jest/globals';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, auditPageQuery } from './audit-pages.js';

describe('auditPageQuery', () => {
  it('reads one tenant only when given one, older than the cursor', () => {
    expect(auditPageQuery({ tenantId: 't1', cursor: '42' })).toEqual({
      where: 'e.tenant_id = :tenantId AND e.seq < :cursor',
      parameters: { tenantId: 't1', cursor: '42' },
      limit: AUDIT_PAGE_DEFAULT,
    });
    expect(auditPageQuery({}).where).toBe('TRUE');
  });

  it('takes an action ending in a dot as a prefix and any other as exact', () => {
    expect(auditPageQuery({ action: 'app.' })).toMatchObject({
      where: 'e.action LIKE :actionPrefix',
      parameters: { actionPrefix: 'app.%' },
    });
    expect(auditPageQuery({ action: 'app.create' })).toMatchObject({
      where: 'e.action = :action',
      parameters: { action: 'app.create' },
    });
  });

  it('bounds the page size', () => {
    expect(auditPageQuery({ limit: 10_000 }).limit).toBe(AUDIT_PAGE_MAX);
    expect(auditPageQuery({ limit: 0 }).limit).toBe(1);
  });
});
