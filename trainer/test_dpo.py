"""The ΔV weighting of the DPO loss on a tiny fixed batch (opt-in: needs the trainer's torch).

    MAS2_DPO_TOKENIZER=<folder with a tokenizer> python -m unittest trainer/test_dpo.py

Run by test/integration/ctoDpo.test.ts when MAS2_TEST_DPO=1 and the trainer is installed. A tiny
random Qwen2 model (no weights to download) and two fixed pairs: the trainer's loss for a pair
must be its weight times TRL's own sigmoid DPO loss for it, and a batch of two pairs is refused.
"""
import copy
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM  # noqa: E402
from trl import DPOConfig, DPOTrainer  # noqa: E402

from dpo import weighted_trainer_classes  # noqa: E402

PAIRS = [
    {"prompt": [{"role": "user", "content": "Assign a backbone to the solver."}], "chosen": [{"role": "assistant", "content": '{"solver": "big"}'}], "rejected": [{"role": "assistant", "content": '{"solver": "small"}'}], "weight": 1.6},
    {"prompt": [{"role": "user", "content": "Patch the failing agent."}], "chosen": [{"role": "assistant", "content": '{"op": "set_backbone"}'}], "rejected": [{"role": "assistant", "content": '{"op": "remove_agent"}'}], "weight": 0.4},
]


class WeightedLossTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.tok = AutoTokenizer.from_pretrained(os.environ["MAS2_DPO_TOKENIZER"])
        cfg = Qwen2Config(vocab_size=len(cls.tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256)
        cls.model = Qwen2ForCausalLM(cfg)
        cls.tmp = tempfile.mkdtemp()

    def trainer(self, cls_, rows):
        args = DPOConfig(output_dir=self.tmp, per_device_train_batch_size=1, beta=0.1, max_length=128, report_to=[], use_cpu=True, remove_unused_columns=False, disable_tqdm=True)
        return cls_(model=self.model, ref_model=copy.deepcopy(self.model), args=args, train_dataset=Dataset.from_list(rows), processing_class=self.tok)

    def test_loss_is_weight_times_trl_loss(self):
        WithWeight, Weighted = weighted_trainer_classes()
        weighted = self.trainer(Weighted, PAIRS)
        plain = self.trainer(DPOTrainer, [{k: v for k, v in p.items() if k != "weight"} for p in PAIRS])
        self.model.eval()
        for i, pair in enumerate(PAIRS):
            ex = weighted.train_dataset[i]
            batch = WithWeight(weighted.data_collator)([ex])
            ref = plain.data_collator([plain.train_dataset[i]])
            with torch.no_grad():
                got = weighted.compute_loss(self.model, dict(batch))
                want = plain.compute_loss(self.model, dict(ref))
            self.assertAlmostEqual(got.item(), pair["weight"] * want.item(), places=5)
            self.assertGreater(want.item(), 0)

    def test_one_pair_per_forward_pass(self):
        WithWeight, Weighted = weighted_trainer_classes()
        t = self.trainer(Weighted, PAIRS)
        batch = WithWeight(t.data_collator)([t.train_dataset[0], t.train_dataset[1]])
        with self.assertRaisesRegex(ValueError, "one pair per forward pass"):
            t.compute_loss(self.model, dict(batch))


if __name__ == "__main__":
    unittest.main()
