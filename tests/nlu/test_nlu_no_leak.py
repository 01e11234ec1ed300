"""The held-out sets are never trained on: no test example appears in the training data."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from content.text import fold_for_features as normalise
from nlu import harder_test_file, training_dir
from nlu.data import load_training_data, training_files


def _key(text: str) -> str:
    """Compare as the model sees text: case, umlauts, apostrophes and punctuation folded."""
    return " ".join(re.sub(r"[^\w ]", " ", normalise(text)).split())


@pytest.mark.parametrize("locale", ["en", "de"])
def test_no_test_example_appears_in_the_training_data(locale: str) -> None:
    trained = {_key(e.text) for e in load_training_data(training_dir(locale)).examples}
    leaked = [e.text for e in load_training_data(harder_test_file(locale)).examples if _key(e.text) in trained]
    assert leaked == [], f"test examples found in training data: {leaked}"


# frozen when written, measured once (bench/nlu_heldout_once.py --set NAME): a changed byte is a changed test
FROZEN_SETS = {
    "en/test/test_nlu_issue23k.yml": "96e1cfd72b8dc8ca5a0e4074ea625ee62977daae3410899b551402439ad1fdc4",
    "en/test/test_nlu_issue23k_kinds.tsv": "aba1d2ffd0c2211ff2bbaace67e6bcd541e9f54d564f463dd0f0e9e2a6dee104",
    "de/test/test_nlu_issue23k.yml": "f3c4ba5d2de398a70828ff57c4949f34f24f0d1e8b21ee5d1e86b73cd903766d",
    "de/test/test_nlu_issue23k_kinds.tsv": "1dc06d093d5e02aaee56fee5dba841554e6468e25a68e9c02b1ec0fc2d1f83b3",
    "en/test/test_nlu_issue23j.yml": "97217eefb19bce5269e03da440e598ee0f578bde4f718c95919d305ebba2745f",
    "en/test/test_nlu_issue23j_kinds.tsv": "16d12dd80825a339849d3e05d45d62a6382d4e6068545f1a540555d07787abb0",
    "de/test/test_nlu_issue23j.yml": "eca5edbf588deae6ff81eb326f444d8878ea1decc711724221b240596c8ed724",
    "de/test/test_nlu_issue23j_kinds.tsv": "6a9e0492d1c2585d1e8198114dd7514f0c3e93c10feab04691818c5c0819ca9a",
    "en/test/test_nlu_issue23i.yml": "b82932aa8bb8fa1b9f4f55d5b675ef8ec3007e4cc4313d90abf2b81596f96aa5",
    "en/test/test_nlu_issue23i_kinds.tsv": "4f0abf0bdef8719c4c907719e26b7d9c6ab99e47ef09e4530c4807f5b0cbda02",
    "de/test/test_nlu_issue23i.yml": "1e10eb0449b98350a5fd419164bed56214625b261182fe77a3cee5e4c231ef17",
    "de/test/test_nlu_issue23i_kinds.tsv": "e5b7bb0f611f41e943c9a80053e59ff424dee1b8f6a29cecdd9012da94257cf7",
    "en/test/test_nlu_issue23h.yml": "941647599887e3560a4b32977f67c70ee8c1964d51d4a5b90c4feb2c3fb2dcae",
    "en/test/test_nlu_issue23h_kinds.tsv": "e1d22d7af068ed1350191bb0b47a5f26743c26de4ea803204e94a76a7f5513a7",
    "de/test/test_nlu_issue23h.yml": "1d4ed4a8119ba6dae959d0f10869a9afda719a40f5033b964ad076598c4cf7e3",
    "de/test/test_nlu_issue23h_kinds.tsv": "863606859c81541bfd4febef09f3fa121c687e09c68038d1245e3c98120d9ae0",
    "en/test/test_nlu_issue23g.yml": "0af30c30b2c8d63935134c242479b809bcf4b2687d4fe4fb8f037bc2fdcac497",
    "en/test/test_nlu_issue23g_kinds.tsv": "c64c54275f33feb80be7ac8f72a0dbf77e8472e26bc161a9e4cbaf4822a6f755",
    "de/test/test_nlu_issue23g.yml": "254266191072df6b142e62833d4530918e22517f4a242983c56e6968e8b23179",
    "de/test/test_nlu_issue23g_kinds.tsv": "baef5a139d973b3b859dae202d05e98cc9b33d443767aee13cdc40fa42b18e76",
    "en/test/test_nlu_issue23f.yml": "c9e92b93c6a41c89af3c04a0200d3073eda2e2023609646315edcf957135ce4d",
    "en/test/test_nlu_issue23f_kinds.tsv": "6cdb696d073164400b92c1a5f869e3201401d936bee236f1b419fe1839f67b9a",
    "de/test/test_nlu_issue23f.yml": "ef881291d86d90ae7393504d0b8524ce424eb9498ff1f4df3e310584229510bd",
    "de/test/test_nlu_issue23f_kinds.tsv": "8afe1a585df61b0ef502a5f117d0df14ac39eb19051cb277c3f832b42b40ee55",
    "en/test/test_nlu_issue23e.yml": "ac72c13f778de823866693eb77ae24ccbace01107c4a58156c3d8d99668dcd5f",
    "en/test/test_nlu_issue23e_kinds.tsv": "bc3d95c99717e32c097ea7e202830480c911906a32a4c66fa20a5c963e2f8852",
    "de/test/test_nlu_issue23e.yml": "f1a7fd16b5de4a680db3c9ae235e15b53c62e2c0a753f474c4a2f61d10de6114",
    "de/test/test_nlu_issue23e_kinds.tsv": "017957cfd5dc53d2d15eb51a46bc280980e62934be4863335eaeed12a6b60868",
    "en/test/test_nlu_issue23d.yml": "fce6e86b3c9dba66582c6190e55d1e916dedc8e3bdf902449a42c38bbba3e537",
    "en/test/test_nlu_issue23d_kinds.tsv": "08370a148df999bb83f89e1be41965b842dbeb243b0e782b5f7404705ce76b50",
    "de/test/test_nlu_issue23d.yml": "cf2d9195602db11d3108a9d20640670b2b3e054981f8541dbc807221e4b2a3dc",
    "de/test/test_nlu_issue23d_kinds.tsv": "9800c777d518d94ded868325d6d6e68a0e446deddd663ac2935b4c44b2c4b9f7",
    "en/test/test_nlu_issue23c.yml": "52180d0fb9a84632638ecf45a3482e49626da93ab90c3230b41391fc026c6c39",
    "en/test/test_nlu_issue23c_kinds.tsv": "d69b513ab8c92a4aacaf9ae91fbf88f9fd91bfb51618315cd77472dc09b55cc5",
    "de/test/test_nlu_issue23c.yml": "ae1c49fe3ea9fd4dc5ccc2897a8d5a301b9b86acaa515e92cd906ceff408983e",
    "de/test/test_nlu_issue23c_kinds.tsv": "e2650936516e464734b042aa4a444040f8c0cfd983765869aa1cedf851ef6628",
    "en/test/test_nlu_issue23b.yml": "fe6595e41924055f170f73851f20f94f6ab18319509bae9618b807736243a9ca",
    "en/test/test_nlu_issue23b_kinds.tsv": "be082e2f24819544cd0807815ea666904159f26c0e93b80e0a1a08f820cdfab0",
    "de/test/test_nlu_issue23b.yml": "aa3ba367a0adef933248a64854b55706b121e98768d3a7e0ecc7ae1dfbb35c68",
    "de/test/test_nlu_issue23b_kinds.tsv": "0a357a77d20cf108ecb362200e93a238d032a3ee79952a18e6168623d85cdeae",
}


@pytest.mark.parametrize("name", ["issue23b", "issue23c", "issue23d", "issue23e", "issue23f", "issue23g",
                                  "issue23h", "issue23i", "issue23j", "issue23k"])
@pytest.mark.parametrize("locale", ["en", "de"])
def test_no_training_change_after_the_freeze_copies_a_frozen_held_out_example(locale: str, name: str) -> None:
    """Written independently, the set shares some short common messages ("hi", "STOP") with the training
    data: those were noted when it was frozen. A training example added since may match none of the others."""
    at_freeze = (Path(__file__).parent / "data" / f"{name}_overlap_at_freeze.tsv").read_text(encoding="utf-8")
    noted = {_key(line.split("\t", 1)[1]) for line in at_freeze.splitlines() if line.startswith(f"{locale}\t")}
    trained = {_key(e.text) for e in load_training_data(training_dir(locale)).examples}
    held_out = load_training_data(training_dir(locale) / "test" / f"test_nlu_{name}.yml").examples
    copied = [e.text for e in held_out if _key(e.text) in trained and _key(e.text) not in noted]
    assert copied == [], f"{name}'s held-out examples found in training data: {copied}"


@pytest.mark.parametrize("name", sorted(FROZEN_SETS))
def test_the_frozen_held_out_sets_are_unchanged(name: str) -> None:
    path = Path(training_dir("en")).parent / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == FROZEN_SETS[name]


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_test_folder_is_not_read_as_training_data(locale: str) -> None:
    files = training_files(training_dir(locale))
    assert files, "no training files found"
    assert harder_test_file(locale) not in files
    assert all("test" not in f.relative_to(training_dir(locale)).parts for f in files)


@pytest.mark.parametrize(("locale", "at_least"), [("en", 300), ("de", 200)])
def test_the_test_sets_are_large_and_a_third_danger(locale: str, at_least: int) -> None:
    examples = load_training_data(harder_test_file(locale)).examples
    danger = sum(1 for e in examples if e.intent == "danger_now")
    assert len(examples) >= at_least
    assert danger * 3 >= len(examples) - 3, (danger, len(examples))


@pytest.mark.parametrize("locale", ["en", "de"])
def test_no_dev_example_appears_in_the_training_data(locale: str) -> None:
    """tests/nlu/data/dev*_<locale>.yml guide work by kind (issue 23); they are never trained on either."""
    trained = {_key(e.text) for e in load_training_data(training_dir(locale)).examples}
    devs = sorted((Path(__file__).parent / "data").glob(f"dev*_{locale}.yml"))  # dev, dev2, dev3: one per round
    assert len(devs) >= 3
    texts = [e.text for dev in devs for e in load_training_data(dev).examples]
    leaked = [t for t in texts if _key(t) and _key(t) in trained]
    assert leaked == [], f"dev examples found in training data: {leaked}"
