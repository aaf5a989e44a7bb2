from benchdsl.cli import main

raise SystemExit(main())
