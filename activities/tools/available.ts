/** The run's tools that can work in this worker right now (the built-in search needs documents or a service). */
import { KNOWN_TOOLS, type ToolSpec } from '../../mas/tools';
import { searchAvailable } from './search';

export interface UsableTools {
  names: string[];
  /** The run's catalogue, filtered the same way; undefined for runs started before catalogues. */
  specs?: ToolSpec[];
}

export async function usableTools(catalogue: readonly ToolSpec[] | undefined): Promise<UsableTools> {
  const search = await searchAvailable();
  const works = (name: string, source = 'builtin') => search || name !== 'search' || source !== 'builtin';
  if (!catalogue) return { names: KNOWN_TOOLS.filter((n) => works(n)) };
  const specs = catalogue.filter((t) => works(t.name, t.source));
  return { names: specs.map((t) => t.name), specs };
}
