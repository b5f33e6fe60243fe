/** The tools that can work in this worker right now (search needs documents or a service). */
import { KNOWN_TOOLS } from '../../mas/tools';
import { searchAvailable } from './search';

export async function availableTools(): Promise<string[]> {
  const search = await searchAvailable();
  return KNOWN_TOOLS.filter((t) => t !== 'search' || search);
}
