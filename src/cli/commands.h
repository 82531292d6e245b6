/* commands.h: the subcommands of the mrank tool. Each takes the arguments after its name and
 * returns the process exit status. */
#ifndef MRANK_CLI_COMMANDS_H
#define MRANK_CLI_COMMANDS_H

int mrank_cmd_demo(int argc, char **argv);
extern const char mrank_demo_help[];
int mrank_cmd_devices(int argc, char **argv);
extern const char mrank_devices_help[];
int mrank_cmd_validate(int argc, char **argv);
extern const char mrank_validate_help[];
int mrank_cmd_bench(int argc, char **argv);
extern const char mrank_bench_help[];
int mrank_cmd_train(int argc, char **argv);
extern const char mrank_train_help[];
extern const char mrank_train_help_more[]; /* the rest of train's help */
int mrank_cmd_eval(int argc, char **argv);
extern const char mrank_eval_help[];
int mrank_cmd_predict(int argc, char **argv);
extern const char mrank_predict_help[];
int mrank_cmd_split(int argc, char **argv);
extern const char mrank_split_help[];
int mrank_cmd_synth(int argc, char **argv);
extern const char mrank_synth_help[];
int mrank_cmd_tune(int argc, char **argv);
extern const char mrank_tune_help[];

int mrank_cmd_compile(int argc, char **argv);
extern const char mrank_compile_help[];

int mrank_cmd_autotune(int argc, char **argv);
extern const char mrank_autotune_help[];

#endif /* MRANK_CLI_COMMANDS_H */
