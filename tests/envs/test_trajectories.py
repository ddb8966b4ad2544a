"""Every env, every player count: a seeded random run hashes to the value recorded here.

The hashes cover observations (RAM), rewards, terminations, truncations and infos, at frameskip
1 and 7 (7 does not divide the stall timers' frame counts, so how a timer counts frames shows).
The actions are held for a random number of steps, so idle stretches reach the stall and turn
timers. A changed hash means a game's behaviour changed: if that is meant, bump the env's
version and record again with ``python tests/envs/test_trajectories.py``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys

import numpy as np
import pytest

from pettingretro.envs import ENV_MODULES

STEPS = 300
FRAMESKIPS = (1, 7)

#: (env module, num_players) -> sha256 of the run at each frameskip of FRAMESKIPS.
RECORDED: dict[tuple[str, int], tuple[str, ...]] = {
    ("basketball_pong_v0", 2): (
        "4679e10039fb438d084bcf5e1ef363320b827dbea24dfc9fe52ee39988b355c9",
        "2df9243a3c5e3b444c1993fd8d00255ffa5a858b4adca2a76d7a40135209dfa6",
    ),
    ("basketball_pong_v0", 4): (
        "24e09a3043c11f1abfe1fd4e1fa84ded8f8d487eed982bb086ba0e399824ed00",
        "cb76e9b00717c393bf91ebfcdee8677cec12d871137d059fbc1701a1653534a6",
    ),
    ("boxing_v0", 2): (
        "efebd204c5d0d575d1e0dd18e11abb864616a7c39876f3b7a72b9537e9943676",
        "02c6893a9f554ea159beb741129345d494103b2214e7c20201e2e2683ce73520",
    ),
    ("combat_plane_v0", 2): (
        "b0a999ea557490ba53318534ede7b93dcfd9e1c338bc3eda94c2832d838fd8d0",
        "b2d4a13f81d5552fc44ae353401a5cd60cb397eb18e710ba45c948fffe6699e3",
    ),
    ("combat_tank_v0", 2): (
        "dd4dfd3106966718891957aae295ae1cfd56712d558c773d1636289ff7fdee68",
        "ca419d2b1b9a67247cec6a1f3c6115b8ba5d66f132de6e889bef6a0d78beb0fe",
    ),
    ("double_dunk_v0", 2): (
        "7d6f4f9f2cfafbaca5163ffcb2fa59114122dbf20bd88c804794662aff1e1074",
        "e1ab54ea15daf6d562d19878818fbf8baa660948e78fbe9cca2a6b99a976521a",
    ),
    ("entombed_competitive_v0", 2): (
        "dc3a4a8e8d00277c39a815df0d3b2136d6d6283b64f5763e034d1c62d55ceece",
        "1a29b5293197372f50c04af5ae07693400e4ccd54bf956284a7080258e4febd7",
    ),
    ("entombed_cooperative_v0", 2): (
        "638f3177a7c517e4904d0d73f2226fa78bc88e4e3af22877f554e0f437e33a14",
        "724959eafae253179ede8c6295bf6265540f0d91b3bc296ee9abd26a56c967a3",
    ),
    ("flag_capture_v0", 2): (
        "50a786b1a65c1d72f4e2f41755ed015269b9d5b8493af9947242e9605d860065",
        "e9948e139bce4fa83945e87b8222a7349a8be66c68e63390f32cdfcdff67a98c",
    ),
    ("foozpong_v0", 2): (
        "27113db9983e7267a4538b0f6ca24b2e8c0ea4ba6145ceeb85a298e1c6527982",
        "0d33865ed73e51b3c1ba9005af197a050e7368db8205cf11728e974017958fd2",
    ),
    ("foozpong_v0", 4): (
        "690967d8db4c5c41db1eb533137198a2f09fbc7772dd5f3ff03c1bc27c131a93",
        "d12afc16f2bc76b2f87cd8585f677aac3182a6822a9955719bc2b8c2e495a90c",
    ),
    ("ice_hockey_v0", 2): (
        "ff2e81b2af570f82981840fae1341480e0f90d0599925e273f5a83152f9938a3",
        "dc3c0a85d357c2f88534dfb0ec00581bf3ba5a7aab1fec9af691320f65bfcf9f",
    ),
    ("joust_v0", 2): (
        "c1cbf9ae53b07fb230fc483a79248e8c93c13b3493b04e6d97593c14545b4a32",
        "b8a95a341105972bc292960ea2e87a7fd65a4ec183b5da1c0f100f1558bd6a66",
    ),
    ("mario_bros_v0", 2): (
        "3df529e762d3edc307ed5eafbc3d4aeae057f5342484a0b361ce0625ba2c0773",
        "9d987033201d05cda5cc6af1a95a4c9a6e3fd443facdcf5310f288acb98a6bfd",
    ),
    ("maze_craze_v0", 2): (
        "2053d0669c04eab863f741f464b11ba8f6db903de3507e1fabbb4e6651ee6ed0",
        "9c805b8348e2d2bd6f3a6587daa9c97c3f6dfd4d97ae5010ef56f452f5ea2729",
    ),
    ("othello_v0", 2): (
        "5f351d1286c778cace0394083000436cef497a24cf12885c8a500bea24331d22",
        "fb0384ef60893be88efd07f83c542a4b0bfca1b6f39339d83a23740f661eef4f",
    ),
    ("pong_v0", 2): (
        "7f77972ba80ec97812e3c1e3611cb406f7a90eb9d160207c068ab11c32b6b64c",
        "ffbb316c93898db5329652c56907f31f31b2c02f6205bc72ce4686b3a8fefb98",
    ),
    ("pong_v0", 4): (
        "a261327952075ceba4adc006d44acbaa2d5ca9118ba4f29ec161d0013423a314",
        "c11949bf31bf03027905901d004ee5e2ff347d201b53ea2a01a0125fd266f8a8",
    ),
    ("quadrapong_v0", 4): (
        "6e5f7874988905ebc0c5658ef3822d4459ebafb4720bd49d5737e71c8d6d246c",
        "4ba25d4527cc8a56e27bf7792153c2ac49aa158f01acc09c9a01ba9c903badbd",
    ),
    ("space_invaders_v0", 2): (
        "03d3b1e31c1f35cccda95a77fa85bd391ac48c4cb526092790a0dc1a4f982f5b",
        "7340b6605d0126f25256367661bbcd9e2aad434fd73345865b238c3cd0a52556",
    ),
    ("space_war_v0", 2): (
        "758dee55005e15c6b0f2bbc908c3fdc38bb25bc0b6ab65f32221a21d4ed51401",
        "3d0d185ac9f1b8a8aba5d6cba1dd6278fe2d9f3a1d78654b7614b0f3fde47427",
    ),
    ("surround_v0", 2): (
        "1c597034970607cd8fb995777b15b41012ebfbb368b092d148cacec1be52ca86",
        "a551b35dc3002b5599980854e7e3e8b046e888e963aadb586b7fb43e22bc6b65",
    ),
    ("tennis_v0", 2): (
        "be336461d761292006f1d0d21ea6436025ff6c193002ff460f843c65bbf09b37",
        "80fafbe71bd5e9c32dfb912a5ea07d2e8f4d89ed89afaedb2d1fb8e5d75e8083",
    ),
    ("video_checkers_v0", 2): (
        "2c792ca0db8096ac5df3d9e13beab06061a53cce79d1a3aa7568ea04c7a8cdbf",
        "30067a6551145ca2fe854576b227382fc6b0af03b3dab5132d9fd907fe2c3293",
    ),
    ("volleyball_pong_v0", 2): (
        "99b7221b53c4c30a82bc1ab22efbe2f8f2ab92d52195eb96e8b6ec70cce0bc23",
        "4c131f66538e325a050173d27462920bd14b7739523e1cd92f878924c0b70b83",
    ),
    ("volleyball_pong_v0", 4): (
        "d3e3333ec6b618644243f82209aa0acdb6cebf0860766a79697cf05e81a9d783",
        "a0ba535bcf9ae64c999a486068f4aa0d7524ba9ca804584d1d91d01c5e462ad6",
    ),
    ("warlords_v0", 4): (
        "0a79dd64ce0ace157139a1d29a99f73efae072c45a8cad072bfdcdd939b4c4e9",
        "0e32d38f233248584fc630ab8b5d03e5af01f29322413a5c55b88dec3e47cd47",
    ),
    ("wizard_of_wor_v0", 2): (
        "502395cae11bdb0844c75f2a5b53aeaf00436110a785053602fba7d081fcca3b",
        "17c317fe615bd5ec91b130c91adcbf533b1fef9a6d8388d1198df995e7e699e8",
    ),
}


def trajectory(name: str, num_players: int, frameskip: int, seed: int = 7) -> str:
    """sha256 of a seeded run: reset, then STEPS steps (a new episode when one ends)."""
    module = importlib.import_module(f"pettingretro.envs.{name}")
    env = module.parallel_env(obs_type="ram", num_players=num_players, frameskip=frameskip)
    rng = np.random.default_rng(seed)
    digest = hashlib.sha256()

    def add(obs: dict, infos: dict, *rest: dict) -> None:
        for agent in sorted(obs):
            digest.update(agent.encode() + obs[agent].tobytes())
        parts = [{a: float(v) for a, v in d.items()} for d in rest]
        digest.update(json.dumps([infos, *parts], sort_keys=True).encode())

    add(*env.reset(seed=seed))
    held: dict[str, tuple[int, int]] = {}
    try:
        for _ in range(STEPS):
            if not env.agents:
                add(*env.reset())
            actions = {}
            for a in env.agents:
                act, left = held.get(a, (0, 0))
                if left == 0:
                    act, left = int(rng.integers(env.action_space(a).n)), int(rng.integers(1, 40))
                held[a] = (act, left - 1)
                actions[a] = act
            obs, rew, term, trunc, infos = env.step(actions)
            add(obs, infos, rew, term, trunc)
    finally:
        env.close()
    return digest.hexdigest()


def cases() -> list[tuple[str, int]]:
    """Every env module with every player count it plays."""
    out = []
    for name in ENV_MODULES:
        game = importlib.import_module(f"pettingretro.envs.{name}").GAME
        for n in game.spec.extra["players"]["choices"]:
            try:
                if game.mode_for is not None:
                    game.mode_for(num_players=n)
            except ValueError:  # quadrapong is four players only
                continue
            out.append((name, int(n)))
    return out


def test_every_env_and_player_count_is_recorded() -> None:
    assert sorted(RECORDED) == sorted(cases())


@pytest.mark.parametrize(("name", "num_players"), sorted(RECORDED))
def test_trajectory_is_unchanged(name: str, num_players: int) -> None:
    got = tuple(trajectory(name, num_players, k) for k in FRAMESKIPS)
    assert got == RECORDED[name, num_players], f"{name}, {num_players} players: now {got}"


if __name__ == "__main__":
    # prints the table to paste over RECORDED
    sys.stdout.write("RECORDED: dict[tuple[str, int], tuple[str, ...]] = {\n")
    for key in cases():
        hashes = ", ".join(f'"{trajectory(*key, k)}"' for k in FRAMESKIPS)
        sys.stdout.write(f"    {key!r}: ({hashes}),\n")
    sys.stdout.write("}\n")
