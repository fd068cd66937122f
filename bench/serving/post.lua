-- wrk script: every request is a prediction of two rows in MLflow's scoring protocol
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"dataframe_records": [{"tenure": 2.0, "charges": 88.0}, {"tenure": 45.0, "charges": 12.0}]}'
