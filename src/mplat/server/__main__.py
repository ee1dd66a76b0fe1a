"""`python -m mplat.server`: start the analysis notebook server (see `mplat.server.launch`)."""

from mplat.server.launch import main

main()
