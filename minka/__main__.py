from minka.cli import main

main()
