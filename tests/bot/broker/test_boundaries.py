import subprocess
import sys


def test_the_client_imports_neither_django_nor_the_simulator() -> None:
    code = (
        "import sys, bot.broker.client, bot.broker.stream, bot.broker.money;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'simulator', 'trademan', 'rest_framework') or m.startswith('bot.engine'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout
