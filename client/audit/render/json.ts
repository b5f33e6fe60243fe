/** The audit document itself, as JSON (AuditSchema). */
import type { Audit } from '../schemas';
import { jsonText } from '../../terminal';

export const renderJson = (a: Audit): string => jsonText(a) + '\n';
