from tooling.cli.app import main

main()
