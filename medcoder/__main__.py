from medcoder.cli import main

main()
