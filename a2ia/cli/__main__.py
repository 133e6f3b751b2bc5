from a2ia.cli.main import main

main()
