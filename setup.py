"""Only here to copy the checkout files deckops ships (src/deckops/_shipped.py) into the wheel."""
import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = runpy.run_path(str(HERE / "src" / "deckops" / "_shipped.py"))["SHIPPED"]


class BuildPyWithShipped(build_py):
    def run(self):
        super().run()
        package = Path(self.build_lib) / "deckops"
        for src, dst in SHIPPED.items():
            origin, target = HERE / src, package / dst
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():  # a fresh copy: a file removed from the checkout must not linger from a past build
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(origin, target)
            else:
                shutil.copy2(origin, target)


setup(cmdclass={"build_py": BuildPyWithShipped})
