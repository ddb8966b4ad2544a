"""RLlib past one machine: a two-node Ray cluster, env runners on both nodes, a policy per agent.

The cluster is two Ray nodes on this machine (``ray.cluster_utils.Cluster``), each with one CPU,
so the two env runners (one CPU each) land one on each node. Every env the runners build counts
its steps into a file named after its node, which the test reads back. The config is the one
``examples/rllib_pong.py --obs ram --per-agent`` trains with.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rllib_pong.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rllib_pong_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def counted(make_env: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """``make_env``'s envs, each counting its steps into ``config['dir']/NODE-PID-ID``."""
    return functools.partial(counted_env, make_env)


def counted_env(make_env: Callable[[dict[str, Any]], Any], config: dict[str, Any]) -> Any:
    import ray

    env = make_env(config)
    node = ray.get_runtime_context().get_node_id()
    path = Path(config["dir"]) / f"{node}-{os.getpid()}-{id(env)}"
    inner = env.step
    steps = [0]

    def step(actions: Any) -> Any:
        steps[0] += 1
        path.write_text(str(steps[0]))
        return inner(actions)

    env.step = step
    return env


def test_rllib_trains_a_policy_per_agent_on_two_ray_nodes(tmp_path: Path) -> None:
    pytest.importorskip("ray.rllib")
    pytest.importorskip("supersuit")
    import ray
    from ray import cloudpickle
    from ray.cluster_utils import Cluster
    from ray.tune.registry import register_env

    example = load_example()
    # neither module is importable in the Ray workers: Ray's pickler ships them by value
    cloudpickle.register_pickle_by_value(example)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    try:
        cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, log_to_driver=False)
        cluster.wait_for_nodes()
        nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        assert len(nodes) == 2
        register_env(example.ENV_NAME, counted(example.make_env))
        config = example.build_config(2, 200, 60, obs="ram", per_agent=True)
        config.env_config["dir"] = str(tmp_path)
        config.training(minibatch_size=100, num_epochs=1)
        algo = config.build_algo()
        for _ in range(2):
            result = algo.train()
        line = example.describe(2, result)
        checkpoint = algo.save_to_path(str(tmp_path / "checkpoint"))
        algo.stop()
    finally:
        ray.shutdown()
        cluster.shutdown()

    stepped: dict[str, int] = {}
    for f in tmp_path.iterdir():
        if f.is_file():
            node = f.name.split("-")[0]
            stepped[node] = stepped.get(node, 0) + int(f.read_text())
    assert set(stepped) == nodes, f"envs stepped on {stepped}, nodes {nodes}"
    assert all(n > 0 for n in stepped.values())
    runners = result["env_runners"]
    assert set(runners["module_episode_returns_mean"]) == {"first_0", "second_0"}
    assert set(runners["agent_episode_returns_mean"]) == {"first_0", "second_0"}
    assert "per policy: first_0 " in line and "second_0 " in line
    assert Path(checkpoint, "learner_group").is_dir()
