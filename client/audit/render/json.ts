/** The audit document itself, as JSON (AuditSchema). */
import type { Audit } from '../schemas';

export const renderJson = (a: Audit): string => JSON.stringify(a, null, 2) + '\n';
