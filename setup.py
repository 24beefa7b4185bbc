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
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True)
            else:
                shutil.copy2(origin, target)


setup(cmdclass={"build_py": BuildPyWithShipped})
