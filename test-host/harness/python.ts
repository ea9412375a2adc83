// The Python that has Debian's python3-websockets and python3-serial: Debian's own interpreter.
// A python3 earlier on PATH (pyenv, a venv) does not see Debian's packages. PYTHON overrides.
export const python3 = process.env.PYTHON ?? "/usr/bin/python3";
