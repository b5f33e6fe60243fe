"""Value-weighted DPO with LoRA for the MAS² meta-agents (docs/cto.md).

    dpo.py --pairs PAIRS.jsonl --gguf BASE.gguf --work DIR --out DIR --llama-cpp DIR

PAIRS.jsonl is written by `mas2 cto train --trainer dpo`: one preference pair a
line, {prompt: [chat messages], chosen, rejected, weight, deltaV, role}, where
`weight` is the pair's ΔV divided by the mean ΔV of its role (mas/ctoTraining.ts).
One LoRA adapter is trained per meta-agent role on the base model's weights,
read from the GGUF file the local llama-server serves, with the paper's loss

    L = −E[ ΔV · log σ( β·(log πθ(w|c) − log πref(w|c)) − β·(log πθ(l|c) − log πref(l|c)) ) ]

and converted to a GGUF adapter with llama.cpp's own convert_lora_to_gguf.py,
for llama-server's --lora. Progress goes to stderr. Everything lands in --work
first (the dequantised base, checkpoints after every optimizer step, the
reference log-probabilities), so an interrupted run picks up where it stopped.
Exit 3 with one line when torch & co. are missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROLES = ("generator", "implementer", "rectifier")


def say(msg):
    print(f"dpo: {msg}", file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description="value-weighted DPO with LoRA for the MAS² meta-agents")
    p.add_argument("--pairs", required=True)
    p.add_argument("--gguf", required=True, help="the base model, as served (its weights are dequantised for training)")
    p.add_argument("--base", required=True, help="folder for the dequantised base model (made once, reused by later runs)")
    p.add_argument("--work", required=True, help="checkpoints and caches; keep it to resume")
    p.add_argument("--out", required=True, help="adapters/<role>.gguf and metrics.json go here")
    p.add_argument("--llama-cpp", required=True, help="llama.cpp source folder with convert_lora_to_gguf.py and gguf-py/")
    # The paper's settings (MAS² §4: LoRA rank 8, α 16, lr 5e-5, 2 epochs, gradient accumulation 4); β as ScoreFlow.
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--alpha", type=int, default=16)
    p.add_argument("--max-length", type=int, default=768, help="tokens of prompt + decision; longer pairs keep their end")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    return p.parse_args(argv)


def read_pairs(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def weighted_trainer_classes():
    """The trainer subclass, built after the imports succeeded."""
    import torch
    from trl import DPOTrainer

    class WithWeight:
        """TRL's preference collator plus the pairs' weights as a tensor."""

        def __init__(self, inner):
            self.inner = inner

        def __call__(self, examples):
            batch = self.inner(examples)
            batch["weight"] = torch.tensor([float(e["weight"]) for e in examples], dtype=torch.float32)
            return batch

    class ValueWeightedDPOTrainer(DPOTrainer):
        """TRL's sigmoid DPO loss, scaled per pair by its ΔV weight.

        One pair per forward pass (per_device_train_batch_size=1), so TRL's batch mean is that
        pair's term and scaling it is exact; gradient accumulation then averages the weighted terms
        of `grad_accum` pairs: −E[ΔV · log σ(β·margin)].
        """

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            weight = inputs.pop("weight")
            if weight.numel() != 1:
                raise ValueError("value-weighted DPO needs one pair per forward pass (per_device_train_batch_size=1)")
            out = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
            if return_outputs:
                loss, extra = out
                return loss * weight.to(loss.device, loss.dtype).reshape(()), extra
            return out * weight.to(out.device, out.dtype).reshape(())

        def compute_ref_log_probs(self, model, inputs):
            return super().compute_ref_log_probs(model, {k: v for k, v in inputs.items() if k != "weight"})

    return WithWeight, ValueWeightedDPOTrainer


def base_model(args):
    """The GGUF weights dequantised once into a safetensors folder (also the converter's --base)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = args.base
    if not os.path.exists(os.path.join(base, "done")):
        say(f"dequantising {os.path.basename(args.gguf)} into a trainable float32 model (once; ~1 min)")
        t = time.time()
        folder, name = os.path.split(os.path.abspath(args.gguf))
        tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        # transformers keeps a GGUF quantizer on the loaded model (not trainable, not saveable) even
        # though the weights are dense now: move them into a plain model of the same config.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
        if unexpected or any(k != "lm_head.weight" for k in missing):
            raise SystemExit(f"dpo: the dequantised weights do not fit {config.model_type}: missing {missing[:3]}, unexpected {unexpected[:3]}")
        model.tie_weights()
        del loaded
        tmp = base + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        open(os.path.join(tmp, "done"), "w").write(args.gguf + "\n")
        shutil.rmtree(base, ignore_errors=True)
        os.rename(tmp, base)
        say(f"base model ready in {time.time() - t:.0f} s")
    return base


class Progress:
    """A TrainerCallback (built lazily: transformers is imported late) that reports each optimizer step."""

    @staticmethod
    def make(role, pairs, grad_accum, started):
        from transformers import TrainerCallback

        class _P(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kw):
                if not logs or "loss" not in logs:
                    return
                done = state.global_step * grad_accum
                spent = time.time() - started
                total = state.max_steps * grad_accum
                eta = spent / max(done, 1) * max(total - done, 0)
                say(f"{role}: step {state.global_step}/{state.max_steps} ({done}/{total} pair passes), loss {logs['loss']:.4f}, {spent / max(done, 1):.1f} s/pair, ~{eta / 60:.0f} min left")

        return _P()


def train_role(args, role, rows, base, work, out_dir):
    import torch
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig
    from transformers.trainer_utils import get_last_checkpoint

    WithWeight, ValueWeightedDPOTrainer = weighted_trainer_classes()
    role_dir = os.path.join(work, role)
    data = os.path.join(role_dir, "pairs.jsonl")
    ds = load_dataset("json", data_files=data, split="train", cache_dir=os.path.join(role_dir, "hf-datasets"))
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    ckpt_dir = os.path.join(role_dir, "checkpoints")
    config = DPOConfig(
        output_dir=ckpt_dir,
        beta=args.beta,
        learning_rate=args.lr,
        num_train_epochs=args.epochs,
        per_device_train_batch_size=1,
        gradient_accumulation_steps=args.grad_accum,
        max_length=args.max_length,
        # The meta-agent prompts start with a long fixed system message; their end (the task, the
        # team, the pool) and the decision are what differ between pairs.
        truncation_mode="keep_end",
        precompute_ref_log_probs=True,
        remove_unused_columns=False,
        save_strategy="steps",
        save_steps=1,
        save_total_limit=2,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        seed=args.seed,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    peft_config = LoraConfig(r=args.rank, lora_alpha=args.alpha, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], task_type="CAUSAL_LM")
    t0 = time.time()
    say(f"{role}: {len(rows)} pairs; reference log-probabilities first")
    trainer = ValueWeightedDPOTrainer(model=model, args=config, train_dataset=ds, processing_class=tok, peft_config=peft_config)
    t_ref = time.time() - t0
    trainer.data_collator = WithWeight(trainer.data_collator)
    trainer.add_callback(Progress.make(role, len(rows), args.grad_accum, time.time()))
    last = get_last_checkpoint(ckpt_dir) if os.path.isdir(ckpt_dir) else None
    if last:
        say(f"{role}: resuming from {os.path.basename(last)}")
    t1 = time.time()
    trainer.train(resume_from_checkpoint=last)
    t_train = time.time() - t1
    adapter_dir = os.path.join(role_dir, "adapter")
    trainer.model.save_pretrained(adapter_dir)
    out = os.path.join(out_dir, "adapters", f"{role}.gguf")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    convert(args, base, adapter_dir, out)
    passes = trainer.state.max_steps * args.grad_accum
    metrics = {
        "pairs": len(rows),
        "optimizerSteps": trainer.state.max_steps,
        "referenceSeconds": round(t_ref, 1),
        "trainSeconds": round(t_train, 1),
        # Whole-run figures of this call; a resumed run measures only what it did itself.
        "secondsPerPairPass": round(t_train / max(passes, 1), 2),
        "resumedFrom": os.path.basename(last) if last else None,
        "adapter": os.path.relpath(out, out_dir),
        "adapterBytes": os.path.getsize(out),
    }
    with open(os.path.join(role_dir, "done.json"), "w") as f:
        json.dump(metrics, f)
    say(f"{role}: adapter {out} ({metrics['adapterBytes'] / 1e6:.1f} MB), {metrics['secondsPerPairPass']} s per pair pass")
    return metrics


def convert(args, base, adapter_dir, out):
    script = os.path.join(args.llama_cpp, "convert_lora_to_gguf.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(args.llama_cpp, "gguf-py") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, script, "--base", base, "--outtype", "f16", "--outfile", out + ".tmp", adapter_dir], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"dpo: convert_lora_to_gguf.py failed: {' | '.join(tail)}")
    os.replace(out + ".tmp", out)


def role_data(work, role, rows):
    """Writes the role's rows in the trainer's conversational form. The same rows as last time keep
    that run's checkpoints and caches (resume); other rows start the role afresh."""
    role_dir = os.path.join(work, role)
    os.makedirs(role_dir, exist_ok=True)
    data = os.path.join(role_dir, "pairs.jsonl")
    text = "".join(
        json.dumps({"prompt": r["prompt"], "chosen": [{"role": "assistant", "content": r["chosen"]}], "rejected": [{"role": "assistant", "content": r["rejected"]}], "weight": r["weight"]}) + "\n"
        for r in rows
    )
    old = open(data, encoding="utf-8").read() if os.path.exists(data) else None
    if old != text:
        for stale in ("checkpoints", "hf-datasets", "adapter"):
            shutil.rmtree(os.path.join(role_dir, stale), ignore_errors=True)
        if os.path.exists(os.path.join(role_dir, "done.json")):
            os.remove(os.path.join(role_dir, "done.json"))
        with open(data + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(data + ".tmp", data)


def main(argv):
    args = parse_args(argv)
    try:
        import torch  # noqa: F401
        import peft  # noqa: F401
        import transformers  # noqa: F401
        import trl  # noqa: F401
    except ImportError as e:
        print(f"dpo: {e.name or e} is not installed in {sys.executable}", file=sys.stderr)
        return 3
    import torch

    torch.set_num_threads(args.threads)
    rows = read_pairs(args.pairs)
    if not rows:
        print(f"dpo: {args.pairs} has no pairs", file=sys.stderr)
        return 2
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    base = base_model(args)
    results = {}
    for role in ROLES:
        mine = [r for r in rows if r["role"] == role]
        if not mine:
            continue
        role_data(args.work, role, mine)
        done = os.path.join(args.work, role, "done.json")
        out = os.path.join(args.out, "adapters", f"{role}.gguf")
        if os.path.exists(done) and os.path.exists(out):
            say(f"{role}: already trained ({out})")
            results[role] = json.load(open(done))
            continue
        results[role] = train_role(args, role, mine, base, args.work, args.out)
    versions = {m: __import__(m).__version__ for m in ("torch", "transformers", "peft", "trl")}
    metrics = {"roles": results, "hyper": {k: getattr(args, k) for k in ("beta", "lr", "epochs", "grad_accum", "rank", "alpha", "max_length", "threads", "seed")}, "versions": versions}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
