"""Run a composite GitHub Action's steps on this machine, as the runner would.

Shell steps run with bash as GitHub runs them (``bash --noprofile --norc -eo pipefail``), with
``${{ ... }}`` expressions in ``env``, ``working-directory`` and ``if`` evaluated against the
inputs, the earlier steps' outputs (``$GITHUB_OUTPUT``), ``github.action_path`` and
``runner.temp``. Steps that ``uses:`` another action are recorded with their evaluated
``with:`` instead of being run. Enough of GitHub's expression language for cgoguard's own
action.yml; not a general implementation.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))|"
                    r"(?P<call>always\(\)|success\(\)|failure\(\))|(?P<name>[A-Za-z_][\w.-]*))")


@dataclass
class StepResult:
    name: str
    ran: bool
    returncode: int = 0
    output: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    uses: str = ""
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(step.ran and step.returncode != 0 for step in self.steps)

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)


class LocalRunner:
    def __init__(self, action_path: Path, workspace: Path, temp: Path, inputs: dict[str, str]) -> None:
        self.action = yaml.safe_load((action_path / "action.yml").read_text())
        self.action_path = action_path
        self.workspace = workspace
        self.temp = temp
        defaults = {name: str(spec.get("default", "")) for name, spec in self.action["inputs"].items()}
        unknown = set(inputs) - set(defaults)
        if unknown:
            raise ValueError(f"not inputs of the action: {sorted(unknown)}")
        self.inputs = {**defaults, **inputs}
        self.step_outputs: dict[str, dict[str, str]] = {}
        self.failed = False

    def run(self) -> ActionRun:
        assert self.action["runs"]["using"] == "composite"
        results = [self._step(index, step) for index, step in enumerate(self.action["runs"]["steps"])]
        outputs = {name: self.substitute(spec["value"]) for name, spec in self.action.get("outputs", {}).items()}
        return ActionRun(results, outputs)

    def _step(self, index: int, step: dict[str, Any]) -> StepResult:
        name = step.get("name", f"step {index}")
        condition = step.get("if", "success()")
        if not self.evaluate(_EXPRESSION.sub(lambda m: m.group(1), str(condition))):
            return StepResult(name, ran=False)
        if "uses" in step:
            return StepResult(name, ran=True, uses=step["uses"],
                              with_={k: self.substitute(str(v)) for k, v in step.get("with", {}).items()})
        assert step["shell"] == "bash", "only bash steps are run here"
        output_file = self.temp / f"github-output-{index}"
        output_file.write_text("")
        env = {**os.environ, "GITHUB_OUTPUT": str(output_file), "GITHUB_PATH": str(self.temp / "github-path"),
               "GITHUB_WORKSPACE": str(self.workspace), "RUNNER_TEMP": str(self.temp), "CI": "true",
               "GITHUB_ACTIONS": "true"}
        env.update({key: self.substitute(str(value)) for key, value in step.get("env", {}).items()})
        cwd = self.workspace / self.substitute(step.get("working-directory", "."))
        script = self.temp / f"step-{index}.sh"
        script.write_text(self.substitute(step["run"]))
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=1800)
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if "id" in step:
            self.step_outputs[step["id"]] = outputs
        if done.returncode != 0:
            self.failed = True
        return StepResult(name, ran=True, returncode=done.returncode, output=done.stdout + done.stderr,
                          outputs=outputs)

    def substitute(self, text: str) -> str:
        return _EXPRESSION.sub(lambda m: str(self._value(m.group(1).strip())), text)

    def _value(self, name: str) -> str:
        if name == "github.action_path":
            return str(self.action_path)
        if name == "github.workspace":
            return str(self.workspace)
        if name == "runner.temp":
            return str(self.temp)
        parts = name.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts[0] == "steps" and parts[2] == "outputs":
            return self.step_outputs.get(parts[1], {}).get(parts[3], "")
        raise ValueError(f"unsupported expression {name!r}")

    def evaluate(self, expression: str) -> bool:
        """A condition: ``&&``, ``||``, ``!``, ``==``, ``!=``, strings, names, status functions."""
        python: list[str] = []
        position = 0
        while position < len(expression.rstrip()):
            match = _TOKEN.match(expression, position)
            if match is None:
                raise ValueError(f"cannot parse {expression!r} at {position}")
            position = match.end()
            if match["string"]:
                python.append(repr(match["string"][1:-1].replace("''", "'")))
            elif match["op"]:
                python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match["op"], match["op"]))
            elif match["call"]:
                python.append({"always()": "True", "success()": repr(not self.failed),
                               "failure()": repr(self.failed)}[match["call"]])
            else:
                python.append(repr(self._value(match["name"])))
        return bool(eval("".join(python), {"__builtins__": {}}, {}))  # our own action.yml, translated token by token
