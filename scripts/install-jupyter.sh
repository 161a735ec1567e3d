#!/bin/sh
# Installs Debian's Jupyter tools (used to validate notebooks and for the Jupyter interop tests:
# jupyter_client, `jupyter kernelspec`, nbconvert, jupyter console driven through tmux, the
# classic Notebook server, JupyterHub for the remote kernels), only the packages that are
# missing, so running it again costs nothing.
set -eu

packages="python3-nbformat python3-jupyter-client jupyter-client jupyter-notebook python3-nbconvert jupyter-nbconvert python3-ipykernel python3-jupyter-console jupyter-console tmux jupyterhub"

missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $package"
  fi
done

if [ -z "$missing" ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
/usr/bin/python3 -c "import nbformat, jupyter_client" 
