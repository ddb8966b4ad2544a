"""Versioned game modules (``pong_v0``, ...) and their registration with PettingZoo."""

from __future__ import annotations

#: Every env module, by name. Each is ``pettingretro.envs.<name>`` with env/parallel_env/raw_env.
ENV_MODULES: tuple[str, ...] = (
    "basketball_pong_v0",
    "boxing_v0",
    "combat_plane_v0",
    "combat_tank_v0",
    "double_dunk_v0",
    "entombed_competitive_v0",
    "entombed_cooperative_v0",
    "flag_capture_v0",
    "foozpong_v0",
    "ice_hockey_v0",
    "joust_v0",
    "mario_bros_v0",
    "maze_craze_v0",
    "othello_v0",
    "pong_v0",
    "quadrapong_v0",
    "space_invaders_v0",
    "space_war_v0",
    "surround_v0",
    "tennis_v0",
    "video_checkers_v0",
    "volleyball_pong_v0",
    "warlords_v0",
    "wizard_of_wor_v0",
)


def register_all() -> None:
    """Register every env as ``pettingretro/<name>-v<N>`` for ``pettingzoo.make``."""
    import pettingzoo

    for module in ENV_MODULES:
        base, _, version = module.rpartition("_v")
        env_id = f"pettingretro/{base}-v{version}"
        if env_id not in pettingzoo.parallel_registry:
            pettingzoo.register(
                "parallel", env_id, entry_point=f"pettingretro.envs.{module}:parallel_env"
            )
            pettingzoo.register("aec", env_id, entry_point=f"pettingretro.envs.{module}:env")
