import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'VERSION = "([^"]+)"', (HERE / "common" / "version.py").read_text()).group(1)

# The top-level templates/, cron/, systemd/ and grafana/ ship inside the package as
# common/assets/<kind>/ (read with importlib.resources; see common/assets/__init__.py).
ASSETS = {"templates": ["*.j2"], "cron": ["plotyard-*"], "systemd": ["*.service", "*.timer"], "grafana": ["*.json"]}

setup(
    name="plotyard",
    version=VERSION,
    description="moves Chia plots from plotters to NAS harvesters, verified, and keeps the NAS drives filled "
                "and healthy",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    # Every package below the three roots: a new subpackage cannot be left out of the wheel.
    packages=[*find_packages(include=["common", "common.*", "plotter", "plotter.*", "nas", "nas.*"]),
              *(f"common.assets.{kind}" for kind in ASSETS)],
    package_dir={f"common.assets.{kind}": kind for kind in ASSETS},
    package_data={"": ["py.typed"], **{f"common.assets.{kind}": globs for kind, globs in ASSETS.items()}},
    install_requires=[
        "paramiko>=3.4",
        "xxhash>=3.0",
        "chiapos>=2.0",
        "pySMART>=1.3",
        "jinja2>=3.1",
        "twilio>=8.0",
        "pushbullet.py>=0.12",
        "apprise>=1.6",
        "rich>=13",
        "textual>=1.0",  # plot-manager view, drive-manager view (imported by those commands only)
        "sentry-sdk>=2.0,<3",  # 3.0 dropped options we pass (send_default_pii); not yet tried
        "prometheus-client>=0.20",
        "PyYAML>=6.0",  # the chia root's config.yaml (the harvester's RPC port, SSL files, rescan timing)
    ],
    extras_require={
        "pos2": ["chia_rs==0.53.0"],  # the pos2 backend: plotyard's own PoS2 plotter
        "test": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "aiosmtpd>=1.4",
            "cryptography>=42",  # a self-signed certificate for the STARTTLS test
            "types-requests",
            "mypy>=1.10",
            "ruff>=0.5",
            "types-paramiko",
            "types-PyYAML",
            "chia_rs==0.53.0",  # real PoS2 plots for the tests (common.plotformat.plotgen.make_gplot)
        ],
    },
    entry_points={
        "console_scripts": [
            "plot-manager=plotter.cli.main:main",
            "drive-manager=nas.cli.main:main",
        ],
    },
)
