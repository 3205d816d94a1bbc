"""The baseline for the page benchmarks: a hello-world Flask route, nothing else."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"
