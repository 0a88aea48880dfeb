PrivDNNCommand.main()
