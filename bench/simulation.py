"""`baton simulate` of the bundled blog post scenario (examples/scenario.yaml): its own
time (`starters.simulate`: load the scenario, then simulate it on a fresh time-skipping
server, in this process with everything imported) and the whole command as a process.
The floor of both is what no simulation avoids: starting and stopping the time-skipping
test server (in this process, and in a Python process that imports only the SDK)."""

import sys
import time

from baton.config import installed_binary
from bench.figures import Figure, Target
from bench.lists import timed_process
from bench.progress import say
from bench.stack import BATON, ROOT, Stack
from starters.simulate import load_scenario, simulate, start_time_skipping

SCENARIO = ROOT / "examples" / "scenario.yaml"
SERVER_ONLY = (
    "import asyncio\n"
    "import os\n"
    "import sys\n"
    "from temporalio.testing import WorkflowEnvironment\n"
    "async def main():\n"
    "    env = await WorkflowEnvironment.start_time_skipping(\n"
    "        test_server_existing_path=sys.argv[1])\n"
    "    await env.shutdown()\n"
    "asyncio.run(main())\n"
    "os._exit(0)\n"  # as the CLI leaves: the SDK's threads can crash a normal exit
)


async def own_time() -> float:
    """Seconds of `simulate(load_scenario(...))` in this process."""
    began = time.perf_counter()
    result = await simulate(load_scenario(SCENARIO))
    elapsed = time.perf_counter() - began
    if result.state != "completed":
        raise RuntimeError(f"the scenario ended {result.state}, not completed")
    return elapsed


async def server_only() -> float:
    began = time.perf_counter()
    env = await start_time_skipping()
    await env.shutdown()
    return time.perf_counter() - began


async def process_time(stack: Stack) -> float:
    """Seconds of `baton simulate examples/scenario.yaml`, the whole process."""
    return await timed_process([str(BATON), "simulate", str(SCENARIO)], stack) / 1000


async def server_only_process(stack: Stack) -> float:
    server = installed_binary("temporal-test-server")
    return await timed_process([sys.executable, "-c", SERVER_ONLY, server], stack) / 1000


async def phase(stack: Stack, runs: int) -> list[Figure]:
    own, own_floor, process, process_floor = [], [], [], []
    for run in range(runs):
        say(f"simulate run {run + 1}/{runs}: in this process, then `baton simulate`")
        own_floor.append(await server_only())
        own.append(await own_time())
        process_floor.append(await server_only_process(stack))
        process.append(await process_time(stack))
    return [
        Figure("simulate.own", "simulate a blog post: its own time", "s", own, own_floor,
               "start + stop the time-skipping server", Target("value<", 1.0),
               how="load_scenario + simulate (examples/scenario.yaml), imports done"),
        Figure("simulate.process", "`baton simulate` of a blog post: the process", "s",
               process, process_floor, "a Python process starting + stopping that server",
               Target("value<", 1.5), how="wall time of the command"),
    ]  # fmt: skip
