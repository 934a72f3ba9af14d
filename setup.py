from glob import glob

from setuptools import setup

# Installed beside the packages' prefix; common/notify/render.py looks there after the source tree.
SHARE = "share/chia-plot-manager"

setup(
    name="chia-plot-manager",
    version="0.1.0",
    description="Move finished Chia plots to NAS harvesters, verified; keep the NAS drives filled and healthy.",
    python_requires=">=3.11",
    packages=["common", "common.notify", "plotter", "nas"],
    package_data={"": ["py.typed"]},
    data_files=[(f"{SHARE}/{d}", sorted(glob(f"{d}/*"))) for d in ("templates", "cron", "systemd", "grafana")],
    install_requires=[
        "paramiko>=3.4",
        "xxhash>=3.0",
        "chiapos>=2.0",
        "pySMART>=1.3",
        "jinja2>=3.1",
        "twilio>=8.0",
        "pushbullet.py>=0.12",
        "sentry-sdk>=2.0",
        "prometheus-client>=0.20",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "aiosmtpd>=1.4",
            "cryptography>=42",  # a self-signed certificate for the STARTTLS test
            "types-requests",
            "mypy>=1.10",
            "ruff>=0.5",
            "types-paramiko",
        ],
    },
    entry_points={
        "console_scripts": [
            "plot-manager=plotter.cli:main",
            "drive-manager=nas.cli:main",
        ],
    },
)
