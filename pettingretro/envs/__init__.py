"""Versioned game modules (``pong_v0``, ...) and their registration with PettingZoo."""

from __future__ import annotations

#: Every env module, by name. Each is ``pettingretro.envs.<name>`` with env/parallel_env/raw_env.
ENV_MODULES: tuple[str, ...] = (
    "pong_v0",
)


def register_all() -> None:
    """Register every env as ``pettingretro/<name>-v<N>`` for ``pettingzoo.make``."""
    import pettingzoo

    for module in ENV_MODULES:
        base, _, version = module.rpartition("_v")
        env_id = f"pettingretro/{base}-v{version}"
        if env_id not in pettingzoo.parallel_registry:
            pettingzoo.register("parallel", env_id, entry_point=f"pettingretro.envs.{module}:parallel_env")
            pettingzoo.register("aec", env_id, entry_point=f"pettingretro.envs.{module}:env")
